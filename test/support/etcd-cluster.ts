// Throwaway etcd members for tests: free loopback ports, data on tmpfs, killed with the test process.
// With `tls`, members serve clients over TLS and require a client certificate (--client-cert-auth).
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';
import { spawnGuarded, stopChild } from './process-guard.js';
import { GiveUp, until } from './until.js';
import { TestPki, type CertFiles } from './test-pki.js';
import { DEFAULT_STORE_LIMITS, type StoreLimits } from '../../control-plane/src/store/write-checks.js';

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

export interface EtcdClusterOptions {
  /**
   * Client URLs are https:// with a certificate from a CA made for the cluster, and members refuse
   * clients without a certificate that CA signed (--client-cert-auth --trusted-ca-file).
   */
  readonly tls?: boolean;
  /**
   * etcd's --max-txn-ops and --max-request-bytes. Default: DEFAULT_STORE_LIMITS, as deploy/ runs etcd
   * and as the control plane assumes by default; etcd's own defaults are ETCD_MAX_TXN_OPS and ETCD_MAX_REQUEST_BYTES.
   */
  readonly limits?: Partial<StoreLimits>;
}

/** What a client needs for a TLS cluster: the CA that signed the members, and a client certificate. */
export interface EtcdClientTls extends CertFiles {
  readonly ca: string;
}

interface ClusterTls {
  readonly pki: TestPki;
  readonly server: CertFiles;
  readonly client: EtcdClientTls;
}

export class EtcdCluster {
  private constructor(
    private readonly members: Member[], private readonly root: string, private readonly tlsFiles: ClusterTls | undefined,
    /** The limits the members run with. */
    readonly limits: StoreLimits,
  ) {}

  /** Starts `size` members (1 or 3) and waits until the cluster answers. */
  static async start(size = 1, options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const root = mkdtempSync(join(base, 'sluice-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      members.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(root, `m${i}`), log: [] });
    }
    let tls: ClusterTls | undefined;
    if (options.tls === true) {
      const pki = TestPki.create('sluice test etcd CA');
      tls = { pki, server: pki.server(), client: { ca: pki.ca, ...pki.client('sluice-control-plane') } };
    }
    const cluster = new EtcdCluster(members, root, tls, { ...DEFAULT_STORE_LIMITS, ...options.limits });
    for (const m of members) cluster.spawn(m);
    await cluster.waitHealthy();
    return cluster;
  }

  /** Client URLs, for `etcd3`'s `hosts`. */
  get endpoints(): string[] {
    return this.members.map((m) => this.clientUrl(m));
  }

  /** With `tls`: the CA and a client certificate the members accept (the PKI's other certificates too). */
  get tls(): EtcdClientTls | undefined {
    return this.tlsFiles?.client;
  }

  /** The PKI behind `tls`: for more client certificates the members trust. */
  get pki(): TestPki | undefined {
    return this.tlsFiles?.pki;
  }

  /** etcdctl's flags for this cluster's TLS (none without it). */
  etcdctlFlags(): string[] {
    const t = this.tlsFiles?.client;
    return t === undefined ? [] : ['--cacert', t.ca, '--cert', t.cert, '--key', t.key];
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
        return JSON.parse(await this.memberRequest(m, '/v3/maintenance/status', '{}')) as { header?: { member_id?: string }; leader?: string };
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
    return this.clientUrl(m);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => (m.process ? stopChild(m.process, 2000) : undefined)));
    rmSync(this.root, { recursive: true, force: true });
    this.tlsFiles?.pki.dispose();
  }

  private clientUrl(m: Member): string {
    return `${this.tlsFiles === undefined ? 'http' : 'https'}://127.0.0.1:${m.clientPort}`;
  }

  /** One call to a member's HTTP gateway (GET, or POST with `body`), with the client certificate under TLS. */
  private async memberRequest(m: Member, path: string, body?: string): Promise<string> {
    const t = this.tlsFiles?.client;
    const tlsOptions = t === undefined ? {} : { ca: readFileSync(t.ca), cert: readFileSync(t.cert), key: readFileSync(t.key), servername: 'localhost' };
    return await new Promise((resolve, reject) => {
      const req = (t === undefined ? httpRequest : httpsRequest)({ host: '127.0.0.1', port: m.clientPort, path, method: body === undefined ? 'GET' : 'POST', timeout: 1000, ...tlsOptions }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  private spawn(m: Member): void {
    const initialCluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', this.clientUrl(m),
      '--advertise-client-urls', this.clientUrl(m),
      ...(this.tlsFiles === undefined ? [] : [
        '--client-cert-auth', '--trusted-ca-file', this.tlsFiles.pki.ca,
        '--cert-file', this.tlsFiles.server.cert, '--key-file', this.tlsFiles.server.key,
      ]),
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `sluice-test-${process.pid}`,
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--log-level', 'error',
      '--max-txn-ops', String(this.limits.maxTxnOps),
      '--max-request-bytes', String(this.limits.maxRequestBytes),
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
      const ok = await Promise.all(this.members.filter(running).map((m) => this.probe(m)));
      if (ok.every(Boolean)) return true;
      const dead = this.members.find((m) => m.process?.exitCode !== null && m.process?.exitCode !== undefined);
      if (dead !== undefined) throw new GiveUp(`etcd did not become healthy (${dead.name} exited):\n${logs()}`);
      return false;
    }, timeoutMs, 100);
  }

  private async probe(m: Member): Promise<boolean> {
    try {
      const body = JSON.parse(await this.memberRequest(m, '/health')) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }
}

/** Spawned and neither exited nor killed by a signal. */
function running(m: Member): boolean {
  return m.process !== undefined && m.process.exitCode === null && m.process.signalCode === null;
}
