// Added latency at a fixed request rate: h2load sends a constant 1,000 and 5,000 requests a second
// (HTTP/1.1 keep-alive, a 12-byte body) to the upstream directly, through nginx (1 worker, upstream
// keep-alive) and through Sluice (--workers 1), in interleaved rounds; the table gives medians over the
// rounds of each percentile, and the added latency (through the proxy minus direct, percentile by
// percentile). The upstream is one nginx; the proxy under test runs on core 0, h2load and the upstream
// on core 1 (as proxy-bench.ts). Sluice runs with event-loop-probe.ts preloaded: a second table gives
// its event loop delay and GC pauses during each measured period, what its tail is made of.
//   npx tsc -p . && flock /tmp/sluice-load.lock node dist/test/bench/latency-bench.js [--rounds 3] [--duration 8] [--warmup 2] [--proxy-node-args '--min-semi-space-size=16']
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pinTree } from '../e2e/mtls/support/process-tree.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../data-plane/helpers/config-yaml.js';
import { startProxyProcess } from '../data-plane/helpers/proxy-process.js';
import { until } from '../support/until.js';
import { PROBE_LINE, probeEnv, type ProbeReport } from './event-loop-probe.js';
import { h2loadArgs, percentileOfSorted, runFixedRate, type FixedRateLoad } from './h2load-fixed-rate.js';
import { median } from './median.js';
import { startNginx } from './nginx-config.js';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2' },
  // Requests a second each client sends: clients = rate / this.
  'per-client': { type: 'string', default: '100' },
  // V8 flags for the proxy's process, e.g. '--min-semi-space-size=16' (young-generation size).
  'proxy-node-args': { type: 'string', default: '' },
} });
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const WARMUP_S = Number(values.warmup);
const PER_CLIENT = Number(values['per-client']);
const RATES = [1000, 5000];
const PROXY_CORE = 0;
const LOAD_CORE = 1;
const dir = mkdtempSync(join(tmpdir(), 'sluice-latency-bench-'));
const cleanups: Array<() => unknown> = [];
const cleanup = (f: () => unknown): void => void cleanups.push(f);

const PERCENTILES = [['p50', 0.5], ['p99', 0.99], ['p99.9', 0.999], ['max', 1]] as const;
type Percentiles = Record<(typeof PERCENTILES)[number][0], number>;

interface Target {
  readonly name: string;
  readonly port: number;
  /** Called around the measured period of each run (Sluice: the probe's report). */
  readonly probe?: () => Promise<ProbeReport>;
}

async function answers(port: number): Promise<void> {
  await until(`a 200 on ${port}`, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/small`).catch(() => undefined);
    const body = await res?.text();
    return res?.status === 200 && body === 'hello world\n' ? true : undefined;
  }, 10_000, 100);
}

async function startSluice(upstreamPort: number): Promise<Target> {
  const config = yamlDocs(clusterYaml('up', [upstreamPort], 'pool: {maxIdlePerEndpoint: 256}'), catchAllRouteYaml('all', 'up'), listenerYaml('bench'));
  const proxy = await startProxyProcess(config, ['--workers', '1', '--admin-listen', 'off'], { env: probeEnv(), nodeArgs: values['proxy-node-args'].split(' ').filter((a) => a !== '') });
  cleanup(() => proxy.stop());
  pinTree(proxy.pid, PROXY_CORE);
  const port = proxy.ports.get('bench')!;
  let seen = 0;
  const probe = async (): Promise<ProbeReport> => {
    proxy.child.kill('SIGUSR2');
    const lines = await until('the probe report', () => {
      const all = proxy.output().split('\n').filter((l) => l.startsWith(PROBE_LINE));
      return all.length > seen ? all : undefined;
    }, 5000, 10);
    seen = lines.length;
    return JSON.parse(lines[lines.length - 1]!.slice(PROBE_LINE.length)) as ProbeReport;
  };
  return { name: 'sluice', port, probe };
}

/** One run at `rate`; with a probe, its report covers the measured period (after the warm-up). */
async function measure(target: Target, rate: number): Promise<{ p: Percentiles; failed: number; probe?: ProbeReport }> {
  const load: FixedRateLoad = { url: `http://127.0.0.1:${target.port}/small`, total: rate, clients: Math.max(1, Math.round(rate / PER_CLIENT)), seconds: DURATION_S, warmupSeconds: WARMUP_S, core: LOAD_CORE, logFile: join(dir, 'h2load.log') };
  const running = runFixedRate(load);
  let startProbe: Promise<ProbeReport> | undefined;
  if (target.probe !== undefined) {
    // h2load connects, then warms up: the probe starts over once the warm-up is (about) over.
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000 + 100));
    startProbe = target.probe();
  }
  const r = await running;
  await startProbe;
  const probe = await target.probe?.();
  const p = Object.fromEntries(PERCENTILES.map(([name, q]) => [name, percentileOfSorted(r.latenciesMs, q)])) as Percentiles;
  return { p, failed: r.failed, probe };
}

async function main(): Promise<void> {
  const upstream = await startNginx(dir, cleanup, 'upstream', (port) => `server { listen 127.0.0.1:${port}; keepalive_timeout 300s;
    location = /small { default_type text/plain; return 200 "hello world\\n"; } }`);
  pinTree(upstream.pid, LOAD_CORE);
  const nginx = await startNginx(dir, cleanup, 'nginx', (port) => `upstream up { server 127.0.0.1:${upstream.port}; keepalive 256; keepalive_requests 100000000; }
    server { listen 127.0.0.1:${port}; keepalive_timeout 300s; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`);
  pinTree(nginx.pid, PROXY_CORE);
  const targets: Target[] = [{ name: 'direct', port: upstream.port }, { name: 'nginx', port: nginx.port }, await startSluice(upstream.port)];
  for (const t of targets) await answers(t.port);

  const samples = new Map<string, Percentiles[]>();
  const probes = new Map<number, ProbeReport[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const rate of RATES) {
      // A different order each round, so no target always runs first or after the same one.
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + round) % targets.length]!;
        const r = await measure(t, rate);
        const key = `${t.name} ${rate}`;
        samples.set(key, [...(samples.get(key) ?? []), r.p]);
        if (r.probe !== undefined) probes.set(rate, [...(probes.get(rate) ?? []), r.probe]);
        process.stderr.write(`round ${round + 1} ${key}/s: p50 ${r.p.p50.toFixed(3)} p99 ${r.p.p99.toFixed(3)} p99.9 ${r.p['p99.9'].toFixed(3)} max ${r.p.max.toFixed(3)} ms${r.failed > 0 ? `, ${r.failed} failed` : ''}\n`);
      }
    }
  }

  const med = (key: string, p: keyof Percentiles): number => median((samples.get(key) ?? []).map((s) => s[p]));
  const example = h2loadArgs({ url: 'http://127.0.0.1:PORT/small', total: 1000, clients: 1000 / PER_CLIENT, seconds: DURATION_S, warmupSeconds: WARMUP_S, core: LOAD_CORE, logFile: 'F' });
  console.log(`\nh2load ${example.join(' ')} (and -c ${5000 / PER_CLIENT} for 5,000 req/s), ${ROUNDS} interleaved rounds, medians; proxy on core ${PROXY_CORE}, h2load + upstream nginx on core ${LOAD_CORE}\n`);
  const names = PERCENTILES.map(([n]) => n);
  console.log(`| rate | target | ${names.map((n) => `${n} ms`).join(' | ')} | ${names.map((n) => `added ${n} ms`).join(' | ')} |`);
  console.log(`| --: | --- | ${names.map(() => '--:').join(' | ')} | ${names.map(() => '--:').join(' | ')} |`);
  for (const rate of RATES) {
    for (const t of targets) {
      const own = names.map((n) => med(`${t.name} ${rate}`, n).toFixed(3));
      const added = names.map((n) => (t.name === 'direct' ? '—' : (med(`${t.name} ${rate}`, n) - med(`direct ${rate}`, n)).toFixed(3)));
      console.log(`| ${rate} | ${t.name} | ${own.join(' | ')} | ${added.join(' | ')} |`);
    }
  }
  console.log(`\nSluice during the measured ${DURATION_S} s, medians over rounds: event loop delay (sampled every 1 ms) and GC pauses\n`);
  console.log('| rate | loop delay p50 ms | p99 ms | max ms | GC pauses/s | GC ms/s | longest GC ms | minor / major / incremental |');
  console.log('| --: | --: | --: | --: | --: | --: | --: | --- |');
  for (const rate of RATES) {
    const ps = probes.get(rate) ?? [];
    const m = (f: (p: ProbeReport) => number): number => median(ps.map(f));
    const kinds = ['minor', 'major', 'incremental'].map((k) => m((p) => p.gcKinds[k] ?? 0).toFixed(0)).join(' / ');
    console.log(`| ${rate} | ${m((p) => p.loopP50Ms).toFixed(2)} | ${m((p) => p.loopP99Ms).toFixed(2)} | ${m((p) => p.loopMaxMs).toFixed(2)} | ${m((p) => p.gcCount / DURATION_S).toFixed(1)} | ${m((p) => p.gcTotalMs / DURATION_S).toFixed(2)} | ${m((p) => p.gcMaxMs).toFixed(2)} | ${kinds} |`);
  }
}

try {
  await main();
} finally {
  for (const f of cleanups.reverse()) await f();
  rmSync(dir, { recursive: true, force: true });
}
