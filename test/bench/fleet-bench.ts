// Fleet benchmark: N simulated proxies, each with its own gRPC connection, spread over several
// fake-fleet processes, subscribed to one or two control-plane replicas (each its own process, as in
// production, on one etcd) holding 1,000 routes. Measures the time for the whole fleet to connect and
// sync from scratch, the time from an API write until every proxy has applied and ACKed it, and the
// replicas' memory per connected proxy.
//
//   npm run build && node dist/test/bench/fleet-bench.js [--store etcd|embedded] [--replicas 1|2]
//     [--mesh sidecars|flat] [--routes 1000] [--writes 10] [--processes 4] [--client light|full]
//     [--send-budget-mb M] [--glibc-defaults] N [N...]
// (In a tree where others rebuild dist/ meanwhile, copy it first: forked processes load it late.)
//
// --mesh sidecars (the default): proxy i is a sidecar of service svc-<i % 50>, and each service
// declares (a Sidecar resource) the 3 hosts it calls, as a mesh that uses scoping runs; each write
// changes one cluster, which reaches the proxies whose routes use it (the others count as soon as the
// control plane has found they need nothing, as GET /v1/rollout counts them). --mesh flat: no
// declarations, every proxy receives every route; each write changes one route.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EtcdCluster } from '../support/etcd-cluster.js';
import type { FleetMessage } from './fake-fleet.js';
import type { ReplicaCommand, ReplicaMessage } from './bench-replica.js';
import { until } from '../support/until.js';

const TOKEN = 'bench-token-0123456789';
const FAKE_FLEET = fileURLToPath(new URL('./fake-fleet.js', import.meta.url));
const REPLICA = fileURLToPath(new URL('./bench-replica.js', import.meta.url));
const SERVICES = 50;
const CLUSTERS = 20;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    store: { type: 'string', default: 'etcd' },
    replicas: { type: 'string', default: '1' },
    mesh: { type: 'string', default: 'sidecars' },
    routes: { type: 'string', default: '1000' },
    writes: { type: 'string', default: '10' },
    processes: { type: 'string', default: '4' },
    client: { type: 'string', default: 'light' },
    'send-budget-mb': { type: 'string' },
    'glibc-defaults': { type: 'boolean', default: false },
  },
});

// glibc keeps the buffers freed after the fleet's initial sync in per-thread malloc arenas, which
// shows up as RSS per proxy (about 125-210 KB here, against 42 KB with these settings). The control
// plane's image runs with them (deploy/Dockerfile), so the benchmark's replicas do too (they inherit
// this process's environment); --glibc-defaults measures without them. glibc reads them at start-up.
const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' };
if (!values['glibc-defaults'] && process.env['MALLOC_ARENA_MAX'] === undefined) {
  const rerun = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...MALLOC_ENV } });
  process.exit(rerun.status ?? 1);
}
console.log(`malloc: ${values['glibc-defaults'] ? 'glibc defaults' : `MALLOC_ARENA_MAX=${process.env['MALLOC_ARENA_MAX']} MALLOC_TRIM_THRESHOLD_=${process.env['MALLOC_TRIM_THRESHOLD_']}`}`);
const ROUTES = Number(values.routes);
const WRITES = Number(values.writes);
const PROCESSES = Number(values.processes);
const REPLICAS = Number(values.replicas);
const SIDECARS = values.mesh === 'sidecars';
const SIZES = positionals.length > 0 ? positionals.map(Number) : [100, 1000];
if (values.mesh !== 'sidecars' && values.mesh !== 'flat') throw new Error('--mesh is sidecars or flat');
if (REPLICAS < 1 || (REPLICAS > 1 && values.store !== 'etcd')) throw new Error('--replicas above 1 needs --store etcd');

interface Row {
  n: number;
  syncS: number;
  /** CPU seconds the replicas spent from the first connection to the last proxy synced. */
  syncCpuS: number;
  p50: number;
  p99: number;
  max: number;
  heapKbPerProxy: number;
  rssKbPerProxy: number;
  fleetRssMb: number;
  /** CPU seconds the fleet's processes spent from their start to the last proxy synced. */
  fleetSyncCpuS: number;
}

/** Node flags from an environment variable, space-separated (none when unset). */
const nodeArgsFrom = (variable: string): string[] => process.env[variable]?.split(' ').filter(Boolean) ?? [];
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function api(apiUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; revision: number; body: any }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { status: res.status, revision: Number(res.headers.get('sluice-revision')), body: text === '' ? undefined : JSON.parse(text) };
}

const host = (service: number): string => `svc-${service % SERVICES}.bench.local`;

const routeDoc = (i: number, priority = 0): Record<string, unknown> => ({
  kind: 'Route',
  name: `route-${i}`,
  hosts: [host(i)],
  match: { pathPrefix: `/api/v1/resource-${i}/`, methods: ['GET', 'POST'], headers: [{ name: 'x-tenant', exact: `t${i % 7}` }] },
  priority,
  forward: { weighted: [{ cluster: `backend-${i % CLUSTERS}`, weight: 90 }, { cluster: `backend-${(i + 1) % CLUSTERS}`, weight: 10 }] },
  timeoutMs: 5000,
  retry: { attempts: 2, on: ['CONNECT_FAILURE', 'GATEWAY_ERROR'] },
  requestHeaders: { set: { 'x-route': `route-${i}` } },
});

const clusterDoc = (i: number, connectTimeoutMs?: number): Record<string, unknown> => ({
  kind: 'Cluster',
  name: `backend-${i}`,
  endpoints: [{ address: '10.0.0.1', port: 8000 + i }, { address: '10.0.0.2', port: 8000 + i }],
  ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
});

/** Service k calls the next three services. */
const sidecarDoc = (k: number): Record<string, unknown> => ({
  kind: 'Sidecar',
  name: `svc-${k}`,
  selector: { service: `svc-${k}` },
  egress: { hosts: [host(k + 1), host(k + 2), host(k + 3)] },
});

/** One write of the measured series: a cluster (sidecars) or a route (flat). */
const writeDoc = (w: number): Record<string, unknown> => (SIDECARS ? clusterDoc((w * 7) % CLUSTERS, 1000 + w) : routeDoc((w * 37) % ROUTES, w + 1));

async function seed(apiUrl: string): Promise<void> {
  await api(apiUrl, 'POST', '/v1/apply', { resources: Array.from({ length: CLUSTERS }, (_, i) => clusterDoc(i)) });
  if (SIDECARS) await api(apiUrl, 'POST', '/v1/apply', { resources: Array.from({ length: SERVICES }, (_, k) => sidecarDoc(k)) });
  for (let i = 0; i < ROUTES; i += 500) {
    await api(apiUrl, 'POST', '/v1/apply', { resources: Array.from({ length: Math.min(500, ROUTES - i) }, (_, j) => routeDoc(i + j)) });
  }
}

/** When the replicas saw each proxy reach each revision (its ACK completing it). */
class SyncedLog {
  readonly at = new Map<string, Map<number, number>>();

  record(m: Extract<ReplicaMessage, { type: 'synced' }>): void {
    m.nodes.forEach((id, i) => {
      let byRevision = this.at.get(id);
      if (byRevision === undefined) this.at.set(id, (byRevision = new Map()));
      if (!byRevision.has(m.revisions[i]!)) byRevision.set(m.revisions[i]!, m.at[i]!);
    });
  }

  /** The first time each proxy reached `revision` or later; undefined entries for those that did not. */
  reached(revision: number): Array<number | undefined> {
    return [...this.at.values()].map((m) => {
      let first: number | undefined;
      for (const [rev, t] of m) if (rev >= revision && (first === undefined || t < first)) first = t;
      return first;
    });
  }

  count(revision: number): number {
    return this.reached(revision).filter((t) => t !== undefined).length;
  }
}

class Replica {
  readonly ready: Promise<Extract<ReplicaMessage, { type: 'ready' }>>;
  private readonly child: ChildProcess;

  constructor(store: string, synced: SyncedLog) {
    this.child = fork(REPLICA, [store, TOKEN, values['send-budget-mb'] ?? ''], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_REPLICA_ARGS: more node flags for the replicas, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
      execArgv: ['--expose-gc', '--max-old-space-size=8192', ...nodeArgsFrom('BENCH_REPLICA_ARGS')],
    });
    this.child.on('message', (m: ReplicaMessage) => m.type === 'synced' && synced.record(m));
    this.ready = this.answer('ready');
  }

  async memory(): Promise<Extract<ReplicaMessage, { type: 'memory' }>> {
    const answer = this.answer('memory');
    this.child.send({ type: 'memory' } satisfies ReplicaCommand);
    return await answer;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.send({ type: 'stop' } satisfies ReplicaCommand);
    });
  }

  private answer<T extends ReplicaMessage['type']>(type: T): Promise<Extract<ReplicaMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ReplicaMessage): void => {
        if (m.type !== type) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(m as Extract<ReplicaMessage, { type: T }>);
      };
      const onExit = (code: number | null): void => reject(new Error(`a replica exited (${code}) before answering ${type}`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }
}

class Fleet {
  private readonly children: ChildProcess[] = [];

  async start(addresses: readonly string[], n: number): Promise<void> {
    const per = Math.ceil(n / PROCESSES);
    const started: Promise<void>[] = [];
    for (let p = 0, offset = 0; offset < n; p++, offset += per) {
      const count = Math.min(per, n - offset);
      const child = fork(FAKE_FLEET, [addresses.join(','), String(count), `p${p}`, TOKEN, values.client!, String(SIDECARS ? SERVICES : 0), String(offset)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // BENCH_FLEET_ARGS: more node flags for the fleet's processes, as BENCH_REPLICA_ARGS for the replicas.
        execArgv: ['--max-old-space-size=6144', ...nodeArgsFrom('BENCH_FLEET_ARGS')],
      });
      this.children.push(child);
      started.push(new Promise((resolve) => child.on('message', (m: FleetMessage) => m.type === 'started' && resolve())));
    }
    await Promise.all(started);
  }

  /** The fleet's processes' RSS and CPU time so far, summed. */
  async usage(): Promise<{ rssMb: number; cpuS: number }> {
    const answers = this.children.map((c) => new Promise<{ rss: number; cpuMs: number }>((resolve) => {
      const on = (m: FleetMessage): void => {
        if (m.type === 'memory') {
          c.off('message', on);
          resolve(m);
        }
      };
      c.on('message', on);
      c.send({ type: 'memory' });
    }));
    const each = await Promise.all(answers);
    return { rssMb: each.reduce((a, m) => a + m.rss, 0) / 2 ** 20, cpuS: each.reduce((a, m) => a + m.cpuMs, 0) / 1000 };
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      c.send({ type: 'stop' });
    })));
  }
}

async function totalMemory(replicas: readonly Replica[]): Promise<{ heap: number; rss: number; streams: number; cpuMs: number }> {
  const each = await Promise.all(replicas.map((r) => r.memory()));
  return each.reduce((sum, m) => ({ heap: sum.heap + m.heap, rss: sum.rss + m.rss, streams: sum.streams + m.streams, cpuMs: sum.cpuMs + m.cpuMs }), { heap: 0, rss: 0, streams: 0, cpuMs: 0 });
}

async function runOnce(n: number, store: string): Promise<Row> {
  const synced = new SyncedLog();
  const replicas = Array.from({ length: REPLICAS }, () => new Replica(store, synced));
  try {
    const ready = await Promise.all(replicas.map((r) => r.ready));
    const apiUrl = ready[0]!.apiUrl;
    await seed(apiUrl);
    const seeded = (await api(apiUrl, 'GET', '/v1/rollout')).body.revision as number;
    // Every replica has read the seed before the fleet connects (or their first answers would differ).
    for (const r of ready.slice(1)) await until(() => `replica at ${seeded}`, async () => (await api(r.apiUrl, 'GET', '/v1/rollout')).body.revision >= seeded, 30_000, 50);
    await sleep(300);
    const before = await totalMemory(replicas);

    const fleet = new Fleet();
    const t0 = Date.now();
    // BENCH_DEBUG: the sync's progress every second (how many proxies have synced so far).
    const progress = process.env['BENCH_DEBUG'] ? setInterval(() => console.error(`sync +${((Date.now() - t0) / 1000).toFixed(0)} s: ${synced.count(seeded)} of ${n} synced`), 1000) : undefined;
    await fleet.start(ready.map((r) => r.discoveryAddress), n);
    if (process.env['BENCH_DEBUG']) console.error(`fleet started (every proxy created) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Synced = a replica has every type ACKed by the proxy at the seeded revision.
    await until(() => `initial sync (${synced.count(seeded)} of ${n})`, () => synced.count(seeded) >= n, 900_000 - (Date.now() - t0), 100);
    const syncS = (Date.now() - t0) / 1000;
    clearInterval(progress);
    const atSync = await totalMemory(replicas);
    const fleetAtSync = await fleet.usage();
    await sleep(1000);
    const after = await totalMemory(replicas);
    if (after.streams !== n) throw new Error(`${after.streams} streams registered, expected ${n}`);

    const samples: number[] = [];
    for (let w = 0; w < WRITES; w++) {
      const start = performance.timeOrigin + performance.now();
      const { revision } = await api(apiUrl, 'POST', '/v1/apply', { resources: [writeDoc(w)] });
      const written = performance.timeOrigin + performance.now();
      // Measured where the ACKs arrive: the replicas' record of each proxy reaching the revision.
      const reached = await until(
        () => `every proxy at revision ${revision} (${synced.count(revision)} of ${n})`,
        () => {
          const r = synced.reached(revision);
          return r.length >= n && r.every((t) => t !== undefined) ? r : undefined;
        },
        60_000,
        10,
      );
      let slowest = 0;
      for (const at of reached) {
        samples.push(at! - start);
        slowest = Math.max(slowest, at! - start);
      }
      if (process.env['BENCH_DEBUG']) console.error(`write ${w}: API answered after ${(written - start).toFixed(0)} ms, slowest proxy ${slowest.toFixed(0)} ms`);
      await sleep(250);
    }
    samples.sort((a, b) => a - b);
    const fleetAtEnd = await fleet.usage();
    await fleet.stop();
    return {
      n,
      syncS,
      syncCpuS: (atSync.cpuMs - before.cpuMs) / 1000,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: samples[samples.length - 1]!,
      heapKbPerProxy: (after.heap - before.heap) / n / 1024,
      rssKbPerProxy: (after.rss - before.rss) / n / 1024,
      fleetRssMb: fleetAtEnd.rssMb,
      fleetSyncCpuS: fleetAtSync.cpuS,
    };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

const etcd = values.store === 'etcd' ? await EtcdCluster.start() : undefined;
const rows: Row[] = [];
try {
  for (const n of SIZES) {
    const row = await runOnce(n, etcd === undefined ? 'embedded' : etcd.endpoints.join(','));
    rows.push(row);
    console.error(`N=${n}: ${JSON.stringify(row)}`);
  }
} finally {
  await etcd?.stop();
}
const f = (x: number, d = 0): string => x.toFixed(d);
const shape = SIDECARS ? `${SERVICES} services, each sidecar declaring 3; each write changes one cluster` : 'no declarations (every proxy gets every route); each write changes one route';
console.log(`\nstore: ${values.store}; ${REPLICAS} replica${REPLICAS === 1 ? '' : 's'}; ${ROUTES} routes + ${CLUSTERS} clusters; ${shape}; ${WRITES} writes per N; ${PROCESSES} fleet processes of ${values.client} clients; write -> every proxy applied+ACKed\n`);
console.log('| proxies | replicas | connected + synced (s) | CP CPU for it (s) | fleet CPU for it (s) | p50 (ms) | p99 (ms) | max (ms) | CP heap+external per proxy (KB) | CP RSS per proxy (KB) | fleet RSS (MB) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.n} | ${REPLICAS} | ${f(r.syncS, 1)} | ${f(r.syncCpuS, 1)} | ${f(r.fleetSyncCpuS, 1)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.heapKbPerProxy, 1)} | ${f(r.rssKbPerProxy, 1)} | ${f(r.fleetRssMb)} |`);
process.exit(0);
