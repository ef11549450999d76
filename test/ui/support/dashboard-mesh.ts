// What the dashboard's browser tests run against: a real `sluice control-plane` on the embedded store
// (admin API with a viewer, an editor and an admin token) and real `sluice proxy` processes following it.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { ADMIN, EDITOR, VIEWER } from '../../support/role-tokens.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { tokenDir } from '../../support/token-file.js';
import { until } from '../../support/until.js';

export interface ProxyLabels { readonly nodeId: string; readonly service: string; readonly zone: string }

export class DashboardMesh {
  readonly proxies = new Map<string, SluiceProcess>();
  private stateDirs = 0;

  private constructor(
    readonly cp: SluiceProcess,
    readonly api: string,
    /** The discovery address, HOST:PORT, and the token proxies open their streams with. */
    readonly discovery: string,
    readonly proxyToken: string,
    private readonly dir: string,
    private readonly tokenFile: string,
  ) {}

  static async start(): Promise<DashboardMesh> {
    const { dir, token, tokenFile } = tokenDir('sluice-dashboard-');
    const tokensFile = join(dir, 'tokens.csv');
    writeFileSync(tokensFile, [VIEWER, EDITOR, ADMIN].map((t) => `${t.token},${t.name},${t.role}`).join('\n') + '\n', { mode: 0o600 });
    const [apiPort, discoveryPort] = [await freePort(), await freePort()];
    const cp = new SluiceProcess([
      'control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`,
      '--token-file', tokenFile, '--tokens-file', tokensFile, '--log-level', 'warn',
    ]);
    const api = `http://127.0.0.1:${apiPort}`;
    await until(() => `the control plane ready:\n${cp.stderr.slice(-2000)}`, async () => {
      if (cp.child.exitCode !== null) throw new Error(`sluice control-plane exited (${cp.child.exitCode}):\n${cp.stderr}`);
      return (await fetch(`${api}/readyz`)).status === 200;
    }, 30_000);
    return new DashboardMesh(cp, api, `127.0.0.1:${discoveryPort}`, token, dir, tokenFile);
  }

  /** Starts `sluice proxy` with one worker and no admin server; resolves once it is ready. */
  async startProxy(labels: ProxyLabels): Promise<SluiceProcess> {
    const proxy = new SluiceProcess([
      'proxy', '--control-plane', this.discovery, '--node-id', labels.nodeId, '--service', labels.service, '--zone', labels.zone,
      '--token-file', this.tokenFile, '--workers', '1', '--admin-listen', 'off', '--state-dir', join(this.dir, `state-${this.stateDirs++}`),
      '--initial-fetch-timeout-ms', '500',
    ]);
    this.proxies.set(labels.nodeId, proxy);
    await proxy.waitFor(/sluice proxy: ready/, 30_000);
    return proxy;
  }

  /** SIGKILL: the proxy's stream ends without a goodbye, as when its machine dies. */
  async killProxy(nodeId: string): Promise<void> {
    const proxy = this.proxies.get(nodeId);
    if (proxy === undefined) throw new Error(`no proxy ${nodeId}`);
    proxy.child.kill('SIGKILL');
    await until(`proxy ${nodeId} gone`, () => proxy.child.exitCode !== null || proxy.child.signalCode !== null, 10_000);
    this.proxies.delete(nodeId);
  }

  /** An admin API call with the admin token, failing on an error answer. */
  async call<T>(method: string, path: string, body?: string, type = 'application/yaml'): Promise<T> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN.token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async stop(): Promise<void> {
    for (const p of this.proxies.values()) await p.stop();
    this.proxies.clear();
    await this.cp.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
