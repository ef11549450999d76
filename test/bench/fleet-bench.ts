// Fleet benchmark: N simulated proxies, each with its own gRPC connection, spread over
// several fake-fleet processes, subscribed to one control plane holding 1,000 routes. Measures the
// time from an API write until every proxy has applied and ACKed it, and the control plane's memory
// per connected proxy.
//
//   npm run build && node --expose-gc dist/test/bench/fleet-bench.js [--store etcd|embedded]
// (In a tree where others rebuild dist/ meanwhile, copy it first: forked fleets load it late.)
//     [--routes 1000] [--writes 10] [--processes 4] [--client light|full] [--send-budget-mb M]
//     [--glibc-defaults] N [N...]
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { discoveryModule, type DiscoveryModule } from '../../control-plane/src/discovery/discovery-module.js';
import { createLogger } from '../../control-plane/src/logger.js';
import type { ResourceStore } from '../../control-plane/src/store/store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import type { FleetMessage } from './fake-fleet.js';
import { until } from '../support/until.js';

const TOKEN = 'bench-token-0123456789';
const FAKE_FLEET = fileURLToPath(new URL('./fake-fleet.js', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    store: { type: 'string', default: 'etcd' },
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
// plane's image runs with them (deploy/Dockerfile), so the benchmark's control plane does too;
// --glibc-defaults measures without them. glibc reads them at start-up: re-run this process.
const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536' };
if (!values['glibc-defaults'] && process.env['MALLOC_ARENA_MAX'] === undefined) {
  const rerun = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...MALLOC_ENV } });
  process.exit(rerun.status ?? 1);
}
console.log(`malloc: ${values['glibc-defaults'] ? 'glibc defaults' : `MALLOC_ARENA_MAX=${process.env['MALLOC_ARENA_MAX']} MALLOC_TRIM_THRESHOLD_=${process.env['MALLOC_TRIM_THRESHOLD_']}`}`);
const ROUTES = Number(values.routes);
const WRITES = Number(values.writes);
const PROCESSES = Number(values.processes);
const SIZES = positionals.length > 0 ? positionals.map(Number) : [100, 1000];

interface Row {
  n: number;
  syncS: number;
  p50: number;
  p99: number;
  max: number;
  heapKbPerProxy: number;
  rssKbPerProxy: number;
  fleetRssMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc for memory figures');
  process.exit(2);
}

function memory(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  if (process.env['BENCH_DEBUG']) console.error(JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss }));
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function api(cp: ControlPlane, method: string, path: string, body?: unknown): Promise<{ status: number; revision: number; body: any }> {
  const res = await fetch(`${cp.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { status: res.status, revision: Number(res.headers.get('sluice-revision')), body: text === '' ? undefined : JSON.parse(text) };
}

const routeDoc = (i: number, priority = 0): Record<string, unknown> => ({
  kind: 'Route',
  name: `route-${i}`,
  hosts: [`svc-${i % 50}.bench.local`],
  match: { pathPrefix: `/api/v1/resource-${i}/`, methods: ['GET', 'POST'], headers: [{ name: 'x-tenant', exact: `t${i % 7}` }] },
  priority,
  forward: { weighted: [{ cluster: `backend-${i % 20}`, weight: 90 }, { cluster: `backend-${(i + 1) % 20}`, weight: 10 }] },
  timeoutMs: 5000,
  retry: { attempts: 2, on: ['CONNECT_FAILURE', 'GATEWAY_ERROR'] },
  requestHeaders: { set: { 'x-route': `route-${i}` } },
});

async function seed(cp: ControlPlane): Promise<void> {
  const clusters = Array.from({ length: 20 }, (_, i) => ({ kind: 'Cluster', name: `backend-${i}`, endpoints: [{ address: '10.0.0.1', port: 8000 + i }, { address: '10.0.0.2', port: 8000 + i }] }));
  await api(cp, 'POST', '/v1/apply', { resources: clusters });
  for (let i = 0; i < ROUTES; i += 100) {
    await api(cp, 'POST', '/v1/apply', { resources: Array.from({ length: Math.min(100, ROUTES - i) }, (_, j) => routeDoc(i + j)) });
  }
}

class Fleet {
  private readonly children: ChildProcess[] = [];

  async start(address: string, n: number): Promise<void> {
    const per = Math.ceil(n / PROCESSES);
    const started: Promise<void>[] = [];
    for (let p = 0, left = n; left > 0; p++, left -= per) {
      const count = Math.min(per, left);
      const child = fork(FAKE_FLEET, [address, String(count), `p${p}`, TOKEN, values.client!], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: ['--max-old-space-size=6144'],
      });
      this.children.push(child);
      started.push(new Promise((resolve) => child.on('message', (m: FleetMessage) => m.type === 'started' && resolve())));
    }
    await Promise.all(started);
  }

  async rssMb(): Promise<number> {
    const answers = this.children.map((c) => new Promise<number>((resolve) => {
      const on = (m: FleetMessage): void => {
        if (m.type === 'memory') {
          c.off('message', on);
          resolve(m.rss);
        }
      };
      c.on('message', on);
      c.send({ type: 'memory' });
    }));
    return (await Promise.all(answers)).reduce((a, b) => a + b, 0) / 2 ** 20;
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

/** When the control plane saw each proxy reach each revision (its ACK completing it). */
class SyncedLog {
  readonly at = new Map<string, Map<number, number>>();

  record(id: string, revision: number): void {
    let m = this.at.get(id);
    if (m === undefined) this.at.set(id, (m = new Map()));
    if (!m.has(revision)) m.set(revision, performance.timeOrigin + performance.now());
  }

  /** The first time each proxy reached `revision` or later; undefined entries for those that did not. */
  reached(revision: number): Array<number | undefined> {
    return [...this.at.values()].map((m) => {
      let first: number | undefined;
      for (const [rev, t] of m) if (rev >= revision && (first === undefined || t < first)) first = t;
      return first;
    });
  }
}

async function runOnce(n: number, store: () => Promise<ResourceStore | undefined>): Promise<Row> {
  let discovery: DiscoveryModule | undefined;
  const synced = new SyncedLog();
  const s = await store();
  const cp = new ControlPlane({
    token: TOKEN,
    apiListen: { host: '127.0.0.1', port: 0 },
    ...(s === undefined ? {} : { store: s }),
    log: createLogger({ level: 'warn' }),
    modules: [discoveryModule({
      listen: { host: '127.0.0.1', port: 0 },
      ...(values['send-budget-mb'] === undefined ? {} : { server: { sendBudgetBytes: Number(values['send-budget-mb']) * 2 ** 20 } }),
      hooks: { onProxySynced: (node, revision) => synced.record(node.id, revision) } }, (m) => (discovery = m))],
  });
  await cp.start();
  await seed(cp);
  await sleep(300);
  const before = memory();

  const fleet = new Fleet();
  const t0 = Date.now();
  await fleet.start(discovery!.address, n);
  const seeded = (await api(cp, 'GET', '/v1/rollout')).body.revision as number;
  // Synced = the control plane has every type ACKed by every proxy (a proxy's first response, the
  // clusters, already carries the revision).
  await until(() => `initial sync (${discovery!.registry.rollout(seeded).at} of ${n})`, () => discovery!.registry.rollout(seeded).at >= n, 600_000 - (Date.now() - t0), 100);
  const syncS = (Date.now() - t0) / 1000;
  await sleep(1000);
  const after = memory();
  const registry = discovery!.registry.size;
  if (registry !== n) throw new Error(`${registry} streams registered, expected ${n}`);

  const samples: number[] = [];
  for (let w = 0; w < WRITES; w++) {
    const start = performance.timeOrigin + performance.now();
    const { revision } = await api(cp, 'POST', '/v1/apply', { resources: [routeDoc((w * 37) % ROUTES, w + 1)] });
    const written = performance.timeOrigin + performance.now();
    // Measured where the ACKs arrive: the control plane's record of each proxy reaching the revision.
    const reached = await until(
      () => `every proxy at revision ${revision} (${synced.reached(revision).filter((t) => t !== undefined).length} of ${n})`,
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
    const rollout = (await api(cp, 'GET', `/v1/rollout?revision=${revision}`)).body;
    if (rollout.at !== n) throw new Error(`rollout says ${rollout.at} of ${n} at ${revision}`);
    await sleep(250);
  }
  samples.sort((a, b) => a - b);
  const fleetRssMb = await fleet.rssMb();
  await fleet.stop();
  await cp.stop();
  return {
    n,
    syncS,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples[samples.length - 1]!,
    heapKbPerProxy: (after.heap - before.heap) / n / 1024,
    rssKbPerProxy: (after.rss - before.rss) / n / 1024,
    fleetRssMb,
  };
}

const etcd = values.store === 'etcd' ? await EtcdCluster.start() : undefined;
const openStore = async (): Promise<ResourceStore | undefined> => {
  if (etcd === undefined) return undefined; // the embedded store
  const { EtcdStore } = await import('../../control-plane/src/store/etcd-store.js');
  return new EtcdStore({ endpoints: etcd.endpoints });
};

const rows: Row[] = [];
try {
  for (const n of SIZES) {
    const row = await runOnce(n, openStore);
    rows.push(row);
    console.error(`N=${n}: ${JSON.stringify(row)}`);
  }
} finally {
  await etcd?.stop();
}
const f = (x: number, d = 0): string => x.toFixed(d);
console.log(`\nstore: ${values.store}; ${ROUTES} routes + 20 clusters; ${WRITES} writes per N (one route each); ${PROCESSES} fleet processes of ${values.client} clients; write -> every proxy applied+ACKed\n`);
console.log('| proxies | initial sync (s) | p50 (ms) | p99 (ms) | max (ms) | CP heap+external per proxy (KB) | CP RSS per proxy (KB) | fleet RSS (MB) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.n} | ${f(r.syncS, 1)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.heapKbPerProxy, 1)} | ${f(r.rssKbPerProxy, 1)} | ${f(r.fleetRssMb)} |`);
process.exit(0);
