// What tracing costs the proxy, and what its exporter holds when the collector is gone.
// 1. CPU per request of `sluice proxy --workers 1` (utime + stime from /proc) under wrk with no
//    rate limit, tracing off, at 1% and at 100% sampling (OTEL_TRACES_SAMPLER): three proxies, one per
//    variant, started and warmed up once, loaded in interleaved rounds; each variant also as a ratio
//    to the proxy without tracing in the same round, and a second proxy without tracing says how
//    far two identical proxies differ on this machine. Spans go to a local OTLP sink that accepts and
//    discards them. Targets: ≤ 3% more CPU per request at 1%, ≤ 25% at 100%.
// 2. The tracing work alone, in this process, per request (an unsampled or sampled request's trace
//    started, one try begun and ended, the request ended; sampled spans encoded and sent by
//    OpenTelemetry's OTLP exporter to the local sink): µs of CPU per request, set against the proxy's
//    CPU per request with tracing off from (1). Steadier than (1) on a shared machine.
// 3. The collector down (a port that accepts connections and never answers): 100% sampling at full
//    load for a while; the proxy's RSS, sampled every second, must level off (the span queue is
//    bounded), and the dropped spans are counted on /metrics.
// The proxy runs on core 0; this process, and with it wrk, nginx and the OTLP sink, on core 1. Each
// round runs the variants in a different order, so none always follows a teardown.
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/tracing-bench.js [--rounds 3] [--duration 5] [--down-seconds 30]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { freePort } from '../support/free-port.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { cpuSeconds } from '../e2e/mtls/support/process-tree.js';
import { runWrk } from '../e2e/mtls/support/wrk-load.js';
import { median } from './median.js';
import { startNginx } from './nginx-config.js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HeaderList } from '../../data-plane/src/protocols/header-list.js';
import type { Session } from '../../data-plane/src/proxy/session.js';
import type { Peer } from '../../data-plane/src/upstream/peer.js';
import { Tracing } from '../../data-plane/src/tracing/tracing.js';
import { runBench } from './run-bench.js';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' }, 'down-seconds': { type: 'string', default: '30' },
} });
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const DOWN_S = Number(values['down-seconds']);
const dir = mkdtempSync(join(tmpdir(), 'sluice-tracing-bench-'));
const cleanups: Array<() => unknown> = [];
const cleanup = (f: () => unknown): void => void cleanups.push(f);

/** An OTLP/HTTP sink: answers every export with 200 and an empty body, or ('stall') never answers. */
async function startSink(mode: 'accept' | 'stall'): Promise<{ port: number; exports: () => number; server: Server }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      if (mode === 'accept') res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, exports: () => exports, server };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

/** CPU µs per request of the tracing work alone at `ratio`, spans exported to the sink at `sinkPort`. */
async function tracingWorkUs(ratio: number, sinkPort: number): Promise<number> {
  const tracing = new Tracing({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    sampling: { parentBased: true, ratio, source: 'bench' },
    exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${sinkPort}/v1/traces` }),
    queue: { maxQueueSize: 2048, maxBatchSize: 512, scheduleDelayMs: 5000, exportTimeoutMs: 10_000 },
  });
  const incoming = ['host', 'bench.local', 'user-agent', 'wrk', 'accept', '*/*'];
  const peer = { host: '127.0.0.1', port: 8080, key: '127.0.0.1:8080', tls: undefined } as unknown as Peer;
  const one = (): void => {
    const session = { headers: new HeaderList(incoming.slice()), method: 'GET', startMs: performance.now(), path: '/', query: '', scheme: 'http', host: 'bench.local', remoteAddress: '127.0.0.1', req: { httpVersionMajor: 1, httpVersionMinor: 1 }, status: 200 } as unknown as Session;
    const trace = tracing.start(session);
    trace.nextTry();
    trace.beginAttempt(session, { method: 'GET', target: '/', headers: new HeaderList(['host', 'bench.local', ...incoming.slice(2), 'x-request-id', 'r']), bodyLength: 0 }, peer, performance.now());
    trace.upstreamStatus(200);
    trace.end(session, undefined, { route: 'bench', cluster: 'up' });
  };
  const batch = async (n: number): Promise<void> => {
    // In slices, yielding between them, so the queue is exported as it would be under load.
    for (let done = 0; done < n; done += 1000) {
      for (let i = 0; i < 1000; i++) one();
      await new Promise((r) => setImmediate(r));
    }
    await tracing.flush();
  };
  await batch(20_000);
  const n = 200_000;
  const before = process.cpuUsage();
  await batch(n);
  const used = process.cpuUsage(before);
  await tracing.shutdown();
  return (used.user + used.system) / n;
}

interface Variant { readonly name: string; readonly env: NodeJS.ProcessEnv }

async function startProxy(config: string, listenPort: number, env: NodeJS.ProcessEnv): Promise<{ proc: SluiceProcess; admin: number }> {
  const admin = await freePort();
  const proc = new SluiceProcess(['proxy', '--config', config, '--workers', '1', '--admin-listen', `127.0.0.1:${admin}`, '--service', 'bench'], env);
  await proc.waitFor(/sluice proxy: ready/, 20_000);
  execFileSync('taskset', ['-a', '-pc', '0', String(proc.child.pid)], { stdio: 'ignore' });
  // fetch() drops a Host header; undici's request sends it.
  await until('the listener answers', async () => {
    const res = await request(`http://127.0.0.1:${listenPort}/`, { headers: { host: 'bench.local' } }).catch(() => undefined);
    await res?.body.text();
    return res?.statusCode === 200 ? true : undefined;
  }, 10_000);
  return { proc, admin };
}

async function main(): Promise<void> {
  execFileSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const upstream = await startNginx(dir, cleanup, 'upstream', (port) => `server { listen 127.0.0.1:${port}; keepalive_timeout 300s; location / { return 200 "ok"; } }`);
  const listenPort = await freePort();
  const config = join(dir, 'mesh.yaml');
  writeFileSync(config, `kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: ${upstream.port}}]
---
kind: Route
name: bench
hosts: ["bench.local"]
match: {pathPrefix: /}
forward: {cluster: up}
---
kind: Listener
name: main
address: 127.0.0.1
port: ${listenPort}
`);
  const sink = await startSink('accept');
  // The span queue at OpenTelemetry's defaults (a batch of 512 or every 5 s), as a user runs it.
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}` };
  const variants: Variant[] = [
    { name: 'tracing off', env: {} },
    // The same again in a second proxy: how far two identical proxies differ here (the noise floor).
    { name: 'tracing off (a second proxy)', env: {} },
    { name: 'tracing on, 1% sampled', env: { ...otlp, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' } },
    { name: 'tracing on, 100% sampled', env: { ...otlp, OTEL_TRACES_SAMPLER: 'always_on' } },
  ];
  // One proxy per variant, each on its own port, all started and warmed up before the first round and
  // kept to the end: a proxy started for each round measures its JIT warming up as much as tracing.
  const proxies: Array<{ v: Variant; port: number; proc: SluiceProcess }> = [];
  for (const v of variants) {
    const port = await freePort();
    const own = config.replace(/\.yaml$/, `-${proxies.length}.yaml`);
    writeFileSync(own, readFileSync(config, 'utf8').replace(`port: ${listenPort}`, `port: ${port}`));
    const { proc } = await startProxy(own, port, v.env);
    cleanup(() => proc.stop());
    proxies.push({ v, port, proc });
    await runWrk(port, { seconds: 3, connections: CONNECTIONS, host: 'bench.local', path: '/' }); // warm-up
  }
  const samples = new Map<string, Array<{ rps: number; us: number; failed: number }>>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const { v, port, proc } of [...proxies.slice(round % proxies.length), ...proxies.slice(0, round % proxies.length)]) {
      const cpuBefore = cpuSeconds(proc.child.pid!);
      const r = await runWrk(port, { seconds: DURATION_S, connections: CONNECTIONS, host: 'bench.local', path: '/' });
      const cpu = cpuSeconds(proc.child.pid!) - cpuBefore;
      samples.get(v.name)!.push({ rps: r.requests / r.seconds, us: (cpu * 1e6) / r.requests, failed: r.failed });
      process.stderr.write(`round ${round + 1} ${v.name}: ${Math.round(r.requests / r.seconds)} req/s, ${((cpu * 1e6) / r.requests).toFixed(1)} µs/req, ${r.failed} failed\n`);
    }
  }
  for (const { proc } of proxies) await proc.stop();
  const off = samples.get(variants[0]!.name)!;
  const offUs = median(off.map((s) => s.us));
  console.log(`\n| variant | req/s | CPU µs/req | vs off (medians) | vs off, same round (median; each round) | failed |\n| --- | --: | --: | --: | --- | --: |`);
  for (const v of variants) {
    const s = samples.get(v.name)!;
    const us = median(s.map((x) => x.us));
    const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    const perRound = s.map((x, i) => x.us / off[i]!.us - 1);
    console.log(`| ${v.name} | ${Math.round(median(s.map((x) => x.rps)))} | ${us.toFixed(1)} | ${us === offUs ? '—' : pct((us - offUs) / offUs)} | ${v === variants[0] ? '—' : `${pct(median(perRound))}; ${perRound.map(pct).join(', ')}`} | ${s.reduce((a, x) => a + x.failed, 0)} |`);
  }
  console.log(`\nspans accepted by the sink: ${sink.exports()} exports`);

  const work = [['0% sampled (propagation only)', 0], ['1% sampled', 0.01], ['100% sampled', 1]] as const;
  console.log(`\n| tracing work alone, in process | CPU µs/req | ÷ proxy CPU µs/req with tracing off (${offUs.toFixed(1)}) |\n| --- | --: | --: |`);
  for (const [name, ratio] of work) {
    const us = median([await tracingWorkUs(ratio, sink.port), await tracingWorkUs(ratio, sink.port), await tracingWorkUs(ratio, sink.port)]);
    console.log(`| ${name} | ${us.toFixed(2)} | ${((us / offUs) * 100).toFixed(1)}% |`);
  }

  // 2. The tracing work alone, in this process, per request (an unsampled or sampled request's trace
//    started, one try begun and ended, the request ended; sampled spans encoded and sent by
//    OpenTelemetry's OTLP exporter to the local sink): µs of CPU per request, set against the proxy's
//    CPU per request with tracing off from (1). Steadier than (1) on a shared machine.
// 3. The collector down: a sink that never answers; 100% sampling at full load.
  const dead = await startSink('stall');
  const { proc, admin } = await startProxy(config, listenPort, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${dead.port}`, OTEL_TRACES_SAMPLER: 'always_on' });
  try {
    const pid = proc.child.pid!;
    const rss: number[] = [rssMiB(pid)];
    const load = runWrk(listenPort, { seconds: DOWN_S, connections: CONNECTIONS, host: 'bench.local', path: '/' });
    const sampler = setInterval(() => rss.push(rssMiB(pid)), 1000);
    const r = await load;
    clearInterval(sampler);
    const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    const metric = (re: RegExp): number => Number(re.exec(metrics)?.[1] ?? NaN);
    const third = Math.max(1, Math.floor(rss.length / 3));
    console.log(`\nCollector down (accepts, never answers), 100% sampled, ${DURATION_S > 0 ? DOWN_S : 0} s at full load: ${r.requests} requests (${Math.round(r.requests / r.seconds)} req/s), ${r.failed} failed`);
    console.log(`| RSS MiB at start | max of first third | max of last third | max | spans dropped (queue full) | dropped (export failed) | exported | queued at end |\n| --: | --: | --: | --: | --: | --: | --: | --: |`);
    console.log(`| ${rss[0]!.toFixed(1)} | ${Math.max(...rss.slice(0, third)).toFixed(1)} | ${Math.max(...rss.slice(-third)).toFixed(1)} | ${Math.max(...rss).toFixed(1)} | ${metric(/^sluice_proxy_spans_dropped_total\{reason="queue_full"\} (\d+)/m)} | ${metric(/^sluice_proxy_spans_dropped_total\{reason="export_failed"\} (\d+)/m)} | ${metric(/^sluice_proxy_spans_exported_total (\d+)/m)} | ${metric(/^sluice_proxy_spans_queued (\d+)/m)} |`);
    console.log(`RSS every second: ${rss.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    await proc.stop();
  }
}

await runBench(dir, cleanups, main);
