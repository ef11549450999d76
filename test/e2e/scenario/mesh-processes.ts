// The scenario's real processes: etcd (one member, or three), two `sluice control-plane` replicas on
// it, and three `sluice proxy` gateways (two workers each) following both replicas. Everything on
// 127.0.0.1. A replica can be SIGKILLed and started again on its ports (the chaos run does).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdCluster } from '../../support/etcd-cluster.js';
import { freePort } from '../../support/free-port.js';
import { stopChild } from '../../support/process-guard.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { GiveUp, until } from '../../support/until.js';
import { tokenDir } from '../../support/token-file.js';

export interface Replica {
  readonly name: string;
  readonly api: string;
  readonly discovery: string;
  readonly process: SluiceProcess;
}

export interface Proxy {
  readonly nodeId: string;
  readonly admin: string;
  readonly process: SluiceProcess;
  readonly pid: number;
}

export interface Mesh {
  readonly token: string;
  readonly etcd: EtcdCluster;
  readonly replicas: readonly Replica[];
  readonly proxies: readonly Proxy[];
  /** SIGKILLs a replica (an outage, not a shutdown). */
  killReplica(replica: Replica): Promise<void>;
  /** Starts a killed replica again on its ports; resolves once ready. It takes the old one's place in `replicas`. */
  restartReplica(replica: Replica): Promise<Replica>;
  stop(): Promise<void>;
}

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

export interface MeshOptions {
  readonly proxies?: number;
  readonly workers?: number;
  readonly drainTimeoutMs?: number;
  /** etcd members (1 or 3; default 1). */
  readonly etcdMembers?: number;
}

export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const { dir, token, tokenFile } = tokenDir('sluice-zero-drop-');
  const etcd = await EtcdCluster.start(options.etcdMembers ?? 1);
  const replicas: Replica[] = [];
  const proxies: Proxy[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.process.stop()));
    await Promise.all(replicas.map((r) => r.process.stop()));
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  /** Starts a replica at `api` and `discovery` (host:port each) and waits until /readyz answers 200. */
  const startReplica = async (name: string, api: string, discovery: string, index = replicas.length): Promise<Replica> => {
    const process = new SluiceProcess(['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', api, '--discovery-listen', discovery, '--token-file', tokenFile, '--log-level', 'warn']);
    const replica = { name, api: `http://${api}`, discovery, process };
    replicas[index] = replica;
    await until(`${name} ready`, async () => {
      if (process.child.exitCode !== null) throw new GiveUp(`${name} exited (${process.child.exitCode}):\n${process.stderr}\n${process.stdout.slice(-2000)}`);
      return (await status(`${replica.api}/readyz`)) === 200;
    }, 20_000, 100);
    return replica;
  };
  try {
    for (const name of ['cp-a', 'cp-b']) await startReplica(name, `127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`);
    // Each proxy starts on a random replica of the list (a fleet spreads): killing a replica moves those on it.
    const controlPlanes = replicas.map((r) => r.discovery).join(',');
    for (let i = 1; i <= (options.proxies ?? 3); i++) {
      const nodeId = `p${i}`;
      const adminPort = await freePort();
      const args = [
        'proxy', '--control-plane', controlPlanes, '--node-id', nodeId, '--service', 'gateway', '--token-file', tokenFile,
        '--workers', String(options.workers ?? 2), '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, `state-${nodeId}`),
        '--initial-fetch-timeout-ms', '1000',
      ];
      if (options.drainTimeoutMs !== undefined && (await proxyHelp()).includes('--drain-timeout-ms')) args.push('--drain-timeout-ms', String(options.drainTimeoutMs));
      const process = new SluiceProcess(args);
      proxies.push({ nodeId, admin: `http://127.0.0.1:${adminPort}`, process, pid: process.child.pid! });
    }
    for (const p of proxies) await p.process.waitFor(/sluice proxy: ready/, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    token,
    etcd,
    replicas,
    proxies,
    killReplica: (replica) => stopChild(replica.process.child, 0, 'SIGKILL'),
    restartReplica: async (replica) => {
      const index = replicas.indexOf(replica);
      if (index < 0) throw new Error(`${replica.name} is not one of this mesh's replicas`);
      await stopChild(replica.process.child, 0, 'SIGKILL');
      return await startReplica(replica.name, replica.api.replace(/^http:\/\//, ''), replica.discovery, index);
    },
    stop,
  };
}

let helpText: Promise<string> | undefined;

/** `sluice proxy --help`, read once: which lifecycle flags this build has. */
export function proxyHelp(): Promise<string> {
  helpText ??= (async () => {
    const { runSluice } = await import('../../support/run-sluice.js');
    const r = await runSluice(['proxy', '--help']);
    return r.stdout + r.stderr;
  })();
  return helpText;
}
