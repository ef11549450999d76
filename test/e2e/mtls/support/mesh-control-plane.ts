// A real `sluice control-plane` for the mutual-TLS scenarios, on port 0 (its log names the ports it
// bound), with the embedded store or etcd: applies YAML and creates bootstrap tokens through its admin
// API, and runs `sluice ctl ...` (a root rotation's `ca` commands).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddCleanup } from '../../../support/cleanup-stack.js';
import { runSluice, SluiceProcess, type RunResult } from '../../../support/run-sluice.js';
import { tokenDir } from '../../../support/token-file.js';
import { GiveUp, until } from '../../../support/until.js';

export interface MeshControlPlane {
  readonly api: string;
  /** host:port of the discovery gRPC server. */
  readonly discovery: string;
  /** The admin token and the file that holds it (proxies pass it as --token-file). */
  readonly token: string;
  readonly tokenFile: string;
  /** A temporary folder for the test's files, removed by the cleanup. */
  readonly dir: string;
  readonly process: SluiceProcess;
  /** `sluice ctl ...args` against this control plane, with the admin token. */
  ctl(...args: string[]): Promise<RunResult>;
  /** POST /v1/apply: throws with the answer when it fails. */
  apply(yaml: string): Promise<void>;
  /** POST /v1/tokens for `service`, the token written to a file: its path. */
  bootstrapTokenFile(service: string): Promise<string>;
}

export interface MeshControlPlaneOptions {
  readonly workloadCertTtlSeconds?: number;
  /** etcd client URLs; without them the control plane runs on its embedded store. */
  readonly etcd?: readonly string[];
}

export async function startMeshControlPlane(cleanup: AddCleanup, options: MeshControlPlaneOptions = {}): Promise<MeshControlPlane> {
  const { dir, token, tokenFile } = tokenDir('sluice-mtls-');
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--token-file', tokenFile, '--log-level', 'info'];
  if (options.etcd !== undefined) args.push('--etcd', options.etcd.join(','));
  if (options.workloadCertTtlSeconds !== undefined) args.push('--workload-cert-ttl-seconds', String(options.workloadCertTtlSeconds));
  const cp = new SluiceProcess(args);
  cleanup(() => cp.stop());
  // pino's JSON lines name each address once it is bound.
  const [api, discovery] = await until(() => `the control plane's ports:\n${cp.stdout}\n${cp.stderr}`, () => {
    if (cp.child.exitCode !== null) throw new GiveUp(`sluice control-plane exited (${cp.child.exitCode}):\n${cp.stdout}\n${cp.stderr}`);
    const text = cp.stdout + cp.stderr;
    const a = /"api":"(http:\/\/[^"]+)"/.exec(text)?.[1];
    const d = /"discovery":"([^"]+)"/.exec(text)?.[1];
    return a !== undefined && d !== undefined && /control plane ready/.test(text) ? [a, d] as const : undefined;
  }, 20_000);
  const ctl = (...a: string[]) => runSluice(['ctl', '--server', api, '--token', token, ...a]);
  let tokens = 0;
  return {
    api,
    discovery,
    token,
    tokenFile,
    dir,
    process: cp,
    ctl,
    // The admin API itself (what `sluice ctl apply` and `token create` call): a CLI process per step
    // would cost a second each.
    apply: async (yaml) => {
      const res = await fetch(`${api}/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' }, body: yaml });
      if (res.status !== 200) throw new Error(`POST /v1/apply answered ${res.status}: ${await res.text()}\n--- input:\n${yaml}`);
      await res.arrayBuffer();
    },
    bootstrapTokenFile: async (service) => {
      const res = await fetch(`${api}/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ service }) });
      if (res.status !== 201) throw new Error(`POST /v1/tokens answered ${res.status}: ${await res.text()}`);
      const file = join(dir, `bootstrap-${service}-${++tokens}`);
      writeFileSync(file, `${((await res.json()) as { token: string }).token}\n`, { mode: 0o600 });
      return file;
    },
  };
}
