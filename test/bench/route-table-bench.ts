// What a large route table costs per request. Four `sluice proxy --workers 1` hold, on one host,
// 1, 1,000 and 10,000 path-prefix routes, and (to compare) 10,000 routes of one host each. Route i
// matches `/api/v{i % 7}/items/{i}/` and rewrites it to `/r-{i}/`, so the upstream (nginx answering
// with the path it got) shows which route served. Every request goes to `/api/v2/items/9/x` (route 9;
// route 0 with a single route), the route a scan in priority order reaches last: same path length,
// so the shortest prefix, and the last name among those. The host routes: `svc-{i}.bench.local`, the
// request to the last one.
// 1. Through the proxies: wrk -t1 -c50 in interleaved rounds (each round with fresh proxy processes,
//    started and loaded in another order), CPU µs per
//    request from the proxy's utime + stime in /proc over the run, as a ratio to the one-route proxy
//    (and to the 10,000 host routes) in the same round (on a shared machine the load drifts between
//    rounds more than within one); medians over the rounds. The proxies run on core 0; this process, wrk and nginx on core 1.
// 2. In this process: the matcher alone, µs of CPU per match(), next to a scan of the host's whole
//    sorted list (what match() did before the path tree); the CPU time to build the matcher (median of
//    11), and the memory each matcher holds (heap and array buffers after a full GC, five matchers
//    kept; the tree builder's scratch buffer, kept once for all builds, not counted).
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/route-table-bench.js [--rounds 16] [--duration 3] [--warmup 1]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { create } from '@bufbuild/protobuf';
import { request } from 'undici';
import { RouteSchema } from '../../proto/gen/sluice/v1/route_pb.js';
import { HeaderList } from '../../data-plane/src/protocols/header-list.js';
import { Session } from '../../data-plane/src/proxy/session.js';
import { CompiledRoute } from '../../data-plane/src/routing/compiled-route.js';
import { RouteMatcher } from '../../data-plane/src/routing/route-matcher.js';
import { cpuSeconds } from '../e2e/mtls/support/process-tree.js';
import { runWrk } from '../e2e/mtls/support/wrk-load.js';
import { freePort } from '../support/free-port.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { startNginx } from './nginx-config.js';
import { BENCH_HOST, prefixOf, routeTableTarget, routeTableYaml, type RouteTable } from './route-table-config.js';
import { runBench } from './run-bench.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '16' }, duration: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1' } } });
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const WARMUP_S = Number(values.warmup);
const dir = mkdtempSync(join(tmpdir(), 'sluice-route-table-bench-'));
const cleanups: Array<() => unknown> = [];

interface Variant extends RouteTable {
  readonly name: string;
}

const VARIANTS: readonly Variant[] = [
  { name: '1 path-prefix route', routes: 1, kind: 'prefixes' },
  { name: '1,000 path-prefix routes, one host', routes: 1000, kind: 'prefixes' },
  { name: '10,000 path-prefix routes, one host', routes: 10_000, kind: 'prefixes' },
  { name: '10,000 host routes', routes: 10_000, kind: 'hosts' },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Proxy {
  readonly variant: Variant;
  readonly proc: SluiceProcess;
  readonly port: number;
}

async function startProxy(v: Variant, upstreamPort: number): Promise<Proxy> {
  const port = await freePort();
  const config = join(dir, `${v.kind}-${v.routes}.yaml`);
  writeFileSync(config, routeTableYaml(v, upstreamPort, port));
  const proc = new SluiceProcess(['proxy', '--config', config, '--workers', '1', '--admin-listen', 'off']);
  cleanups.push(() => proc.stop());
  await proc.waitFor(/sluice proxy: ready/, 60_000);
  execFileSync('taskset', ['-a', '-pc', '0', String(proc.child.pid)], { stdio: 'ignore' });
  // The route that serves must be the intended one: the upstream echoes the rewritten path.
  const t = routeTableTarget(v);
  const body = await until(`${v.name} answers`, async () => {
    const res = await request(`http://127.0.0.1:${port}${t.path}`, { headers: { host: t.host } }).catch(() => undefined);
    const text = await res?.body.text();
    return res?.statusCode === 200 ? text : undefined;
  }, 20_000);
  const want = `/${t.route}/x`;
  if (body !== want) throw new Error(`${v.name}: the upstream got ${JSON.stringify(body)}, not ${want}`);
  return { variant: v, proc, port };
}

// ---- 2. In process. ----

function session(host: string, path: string): Session {
  return Object.assign(Object.create(Session.prototype) as Session, {
    host, authority: host, method: 'GET', path, query: '', headers: new HeaderList(['user-agent', 'wrk']), requestId: 'r', forwardedFor: undefined,
  });
}

function compiledRoutes(v: Variant): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  for (let i = 0; i < v.routes; i++) {
    const prefixes = v.kind === 'prefixes';
    out.push(new CompiledRoute(create(RouteSchema, {
      name: prefixes ? `r-${i}` : `h-${i}`,
      hosts: [prefixes ? BENCH_HOST : `svc-${i}.${BENCH_HOST}`],
      match: { path: { case: 'pathPrefix', value: prefixes ? prefixOf(i) : '/api/' } },
      action: { case: 'forward', value: { cluster: 'up' } },
    })));
  }
  return out;
}

/** CPU µs (user + system) this process has used so far: unlike the clock, not charged while others run. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median ns of CPU per call of `f` over 7 batches of about 100 ms each. */
function nsPerCall(f: () => unknown): number {
  let n = 1;
  for (;;) {
    const t = cpuUs();
    for (let i = 0; i < n; i++) f();
    if (cpuUs() - t > 20_000) break;
    n *= 2;
  }
  n *= 5;
  const batches: number[] = [];
  for (let b = 0; b < 7; b++) {
    const t = cpuUs();
    for (let i = 0; i < n; i++) f();
    batches.push(((cpuUs() - t) * 1000) / n);
  }
  return median(batches);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Heap and array buffers in use, after collecting garbage. */
const memoryMiB = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};

interface InProcess {
  matchUs: number;
  scanUs: number;
  buildMs: number;
  memoryMiB: number;
}

function inProcess(v: Variant): InProcess {
  const routes = compiledRoutes(v);
  const t = routeTableTarget(v);
  const s = session(t.host, t.path);
  // Memory: after one build (which sizes the tree builder's scratch buffer, kept for later builds),
  // five more kept alive, per matcher: the figure is what each matcher holds, the scratch apart.
  const matcher = new RouteMatcher(routes);
  const before = memoryMiB();
  const kept = Array.from({ length: 5 }, () => new RouteMatcher(routes));
  const held = (memoryMiB() - before) / kept.length;
  if (matcher.match(s)?.name !== t.route) throw new Error(`${v.name}: matched ${matcher.match(s)?.name}, not ${t.route}`);
  // A scan of the host's sorted list, as match() did before the path tree.
  const list = matcher.candidates(t.host);
  const scan = (): CompiledRoute | undefined => {
    for (let i = 0; i < list.length; i++) if (list[i]!.matches(s)) return list[i];
    return undefined;
  };
  if (scan()?.name !== t.route) throw new Error(`${v.name}: the scan found ${scan()?.name}`);
  const builds: number[] = [];
  new RouteMatcher(routes);
  for (let i = 0; i < 11; i++) {
    const t0 = cpuUs();
    new RouteMatcher(routes);
    builds.push((cpuUs() - t0) / 1000);
  }
  return { matchUs: nsPerCall(() => matcher.match(s)) / 1000, scanUs: nsPerCall(scan) / 1000, buildMs: median(builds), memoryMiB: held };
}

async function main(): Promise<void> {
  execFileSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const upstream = await startNginx(dir, (stop) => cleanups.push(stop), 'upstream', (port) => `server { listen 127.0.0.1:${port}; keepalive_timeout 300s; location / { default_type text/plain; return 200 "$uri"; } }`);
  const samples = new Map<string, Array<{ rps: number; us: number; failed: number }>>(VARIANTS.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Fresh processes every round, started in the round's order: two processes with the same routes
    // can differ by 15% per request for the life of the process, so one set of processes kept for
    // every round would credit that to the route tables.
    const order = [...VARIANTS.slice(round % VARIANTS.length), ...VARIANTS.slice(0, round % VARIANTS.length)];
    const proxies: Proxy[] = [];
    for (const v of order) proxies.push(await startProxy(v, upstream.port));
    for (const p of proxies) {
      const t = routeTableTarget(p.variant);
      const load = { connections: 50, host: t.host, path: t.path };
      await runWrk(p.port, { ...load, seconds: WARMUP_S });
      const cpuBefore = cpuSeconds(p.proc.child.pid!);
      const r = await runWrk(p.port, { ...load, seconds: DURATION_S });
      const cpu = cpuSeconds(p.proc.child.pid!) - cpuBefore;
      const us = (cpu * 1e6) / r.requests;
      samples.get(p.variant.name)!.push({ rps: r.requests / r.seconds, us, failed: r.failed });
      process.stderr.write(`round ${round + 1} ${p.variant.name}: ${Math.round(r.requests / r.seconds)} req/s, ${us.toFixed(1)} µs/req, ${r.failed} failed\n`);
    }
    for (const p of proxies) await p.proc.stop();
  }

  const base = samples.get(VARIANTS[0]!.name)!;
  // As large a configuration whose matching is one Map lookup: what is left is the cost of its size.
  const hosts = samples.get(VARIANTS[3]!.name)!;
  console.log(`\nThrough the proxy: sluice proxy --workers 1 on core 0, wrk -t1 -c50 -d${DURATION_S}s (after ${WARMUP_S}s warm-up), ${ROUNDS} interleaved rounds, fresh processes each round; medians; Node ${process.version}\n`);
  console.log('| route table | req/s | CPU µs/req | ÷ 1 route, same round | ÷ 10,000 host routes, same round | ÷ 1 route, each round |');
  console.log('| --- | --: | --: | --: | --: | --- |');
  for (const v of VARIANTS) {
    const s = samples.get(v.name)!;
    const ratios = s.map((x, round) => x.us / base[round]!.us);
    const toHosts = s.map((x, round) => x.us / hosts[round]!.us);
    const failed = s.reduce((a, x) => a + x.failed, 0);
    console.log(`| ${v.name} | ${Math.round(median(s.map((x) => x.rps)))} | ${median(s.map((x) => x.us)).toFixed(1)} | ${median(ratios).toFixed(2)} | ${median(toHosts).toFixed(2)} | ${ratios.map((r) => r.toFixed(2)).join(', ')} |`);
    if (failed > 0) console.log(`  (${failed} requests failed)`);
  }

  console.log('\nIn process: the matcher alone (the request above), and building it\n');
  console.log('| route table | match() µs | scan of the sorted list µs | build ms | MiB held |');
  console.log('| --- | --: | --: | --: | --: |');
  for (const v of VARIANTS) {
    const r = inProcess(v);
    console.log(`| ${v.name} | ${r.matchUs.toFixed(3)} | ${r.scanUs.toFixed(3)} | ${r.buildMs.toFixed(1)} | ${r.memoryMiB.toFixed(2)} |`);
  }
}

await runBench(dir, cleanups, main);
