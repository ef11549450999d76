// Throwaway etcd members for tests: free loopback ports, data on tmpfs, killed with the test process.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';
import { spawnGuarded, stopChild } from './process-guard.js';
import { GiveUp, until } from './until.js';

export function etcdBinary(): string {
  return process.env['SLUICE_ETCD_BIN'] ?? 'etcd';
}

/** etcd reads every ETCD_* variable as a flag: never pass ours through. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD_')) env[k] = v;
  return env;
}

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  process?: ChildProcess;
  log: string[];
}

export class EtcdCluster {
  private constructor(private readonly members: Member[], private readonly root: string) {}

  /** Starts `size` members (1 or 3) and waits until the cluster answers. */
  static async start(size = 1): Promise<EtcdCluster> {
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const root = mkdtempSync(join(base, 'sluice-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      members.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(root, `m${i}`), log: [] });
    }
    const cluster = new EtcdCluster(members, root);
    for (const m of members) cluster.spawn(m);
    await cluster.waitHealthy();
    return cluster;
  }

  /** Client URLs, for `etcd3`'s `hosts`. */
  get endpoints(): string[] {
    return this.members.map((m) => `http://127.0.0.1:${m.clientPort}`);
  }

  /** Kills every member (SIGKILL: an outage, not a shutdown). Data stays for `restart`. */
  async kill(): Promise<void> {
    await Promise.all(this.members.map((m) => (m.process ? stopChild(m.process, 0, 'SIGKILL') : undefined)));
  }

  /**
   * Starts the members again on the same ports. With `wipeData` their data is gone first: a new
   * etcd at the same address, back at revision 1, as after a restore from an old backup.
   */
  async restart(options: { wipeData?: boolean } = {}): Promise<void> {
    await this.kill();
    if (options.wipeData === true) for (const m of this.members) rmSync(m.dataDir, { recursive: true, force: true });
    for (const m of this.members) this.spawn(m);
    await this.waitHealthy();
  }

  /** Kills one member (SIGKILL); the others go on. */
  async killMember(index: number): Promise<void> {
    const m = this.members[index];
    if (m?.process !== undefined) await stopChild(m.process, 0, 'SIGKILL');
  }

  /**
   * Starts a killed member again on its data; it rejoins and catches up with the others. Resolves once
   * every running member answers healthy (so with others still down, once this one has a quorum).
   */
  async restartMember(index: number): Promise<void> {
    const m = this.members[index];
    if (m === undefined) throw new Error(`no member ${index}`);
    await this.killMember(index);
    this.spawn(m);
    await this.waitHealthy();
  }

  /** Stops one member with SIGSTOP: its sockets stay open but nothing answers, as a hung host. */
  pauseMember(index: number): void {
    this.members[index]?.process?.kill('SIGSTOP');
  }

  resumeMember(index: number): void {
    this.members[index]?.process?.kill('SIGCONT');
  }

  /** The index of the member that leads, from each running member's status (etcd's HTTP gateway). */
  async leaderIndex(): Promise<number | undefined> {
    const statuses = await Promise.all(this.members.map(async (m) => {
      if (!running(m)) return undefined;
      try {
        const res = await fetch(`http://127.0.0.1:${m.clientPort}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
        return (await res.json()) as { header?: { member_id?: string }; leader?: string };
      } catch {
        return undefined;
      }
    }));
    const leader = statuses.find((s) => s?.leader !== undefined && s.leader !== '0')?.leader;
    const index = statuses.findIndex((s) => leader !== undefined && s?.header?.member_id === leader);
    return index < 0 ? undefined : index;
  }

  /** One member's client URL. */
  endpoint(index: number): string {
    const m = this.members[index];
    if (m === undefined) throw new Error(`no member ${index}`);
    return `http://127.0.0.1:${m.clientPort}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => (m.process ? stopChild(m.process, 2000) : undefined)));
    rmSync(this.root, { recursive: true, force: true });
  }

  private spawn(m: Member): void {
    const initialCluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', `http://127.0.0.1:${m.clientPort}`,
      '--advertise-client-urls', `http://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `sluice-test-${process.pid}`,
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--log-level', 'error',
    ];
    const child = spawnGuarded(etcdBinary(), args, { env: cleanEnv() });
    m.log.length = 0;
    const keep = (chunk: Buffer): void => {
      m.log.push(chunk.toString());
      if (m.log.length > 50) m.log.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    m.process = child;
  }

  /** Waits until every running member (killed ones left out) reports healthy. */
  private async waitHealthy(timeoutMs = 20000): Promise<void> {
    const logs = (): string => this.members.map((m) => m.log.join('')).join('\n');
    await until(() => `etcd to become healthy:\n${logs()}`, async () => {
      const ok = await Promise.all(this.members.filter(running).map((m) => probe(m.clientPort)));
      if (ok.every(Boolean)) return true;
      const dead = this.members.find((m) => m.process?.exitCode !== null && m.process?.exitCode !== undefined);
      if (dead !== undefined) throw new GiveUp(`etcd did not become healthy (${dead.name} exited):\n${logs()}`);
      return false;
    }, timeoutMs, 100);
  }
}

/** Spawned and neither exited nor killed by a signal. */
function running(m: Member): boolean {
  return m.process !== undefined && m.process.exitCode === null && m.process.signalCode === null;
}

async function probe(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}
