// Full garbage collections of a proxy that has aged: one or two builds of `sluice proxy --workers 1`
// (the route-table bench's 1,000 path-prefix routes on one host) start, take a second of load, then sit idle long enough for
// V8 to move their long-lived objects to the old generation, as a proxy between bursts does; then
// wrk -t1 -c50 (no rate limit) for --duration seconds. Counted from each proxy's --trace-gc output
// during the load: mark-compacts (full collections) and their pauses, and the proxy's CPU µs per
// request. The proxies run on core 0, wrk and the nginx upstream on core 1; builds take turns.
//   flock /tmp/sluice-load.lock node dist/test/bench/aged-proxy-gc-bench.js [--a OTHER_DIST] [--rounds 2] [--duration 15] [--idle 5]
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runWrk } from '../e2e/mtls/support/wrk-load.js';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { until } from '../support/until.js';
import { startNginx } from './nginx-config.js';
import { cpuTicks, TICK_HZ } from './process-cpu.js';
import { routeTableTarget, routeTableYaml, type RouteTable } from './route-table-config.js';
import { runBench } from './run-bench.js';

const { values } = parseArgs({ options: { a: { type: 'string' }, rounds: { type: 'string', default: '2' }, duration: { type: 'string', default: '15' }, idle: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const IDLE_S = Number(values.idle);
const TABLE: RouteTable = { routes: 1000, kind: 'prefixes' };
const TARGET = routeTableTarget(TABLE);
const dir = mkdtempSync(join(tmpdir(), 'sluice-aged-gc-bench-'));
const cleanups: Array<() => unknown> = [];
const thisDist = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const builds = [...(values.a === undefined ? [] : [{ name: `a ${values.a}`, dist: resolve(values.a) }]), { name: `b ${thisDist}`, dist: thisDist }];

interface Run {
  fullGcs: number;
  fullGcMs: number;
  longestMs: number;
  cpuUsPerRequest: number;
}

/** `[pid:0x..]   12345 ms: Mark-Compact 26.5 (60.2) -> 16.5 (58.0) MB, 4.78 / 0.01 ms ...` */
const MARK_COMPACT = /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: Mark-Compact [^,]+, ([\d.]+) \//;

async function oneRun(dist: string, upstreamPort: number): Promise<Run> {
  const port = await freePort();
  const config = join(dir, `proxy-${port}.yaml`);
  writeFileSync(config, routeTableYaml(TABLE, upstreamPort, port));
  const child: ChildProcess = spawnGuarded('taskset', ['-c', '0', process.execPath, '--trace-gc', join(dist, 'bin/sluice.js'), 'proxy', '--config', config, '--workers', '1', '--admin-listen', 'off']);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await until('the proxy is ready', () => out.includes('sluice proxy: ready'), 60_000);
    await runWrk(port, { seconds: 1, connections: 50, host: TARGET.host, path: TARGET.path });
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const from = out.length;
    const before = cpuTicks([child.pid!]);
    const load = await runWrk(port, { seconds: DURATION_S, connections: 50, host: TARGET.host, path: TARGET.path });
    const cpu = (cpuTicks([child.pid!]) - before) / TICK_HZ;
    if (load.failed > 0) throw new Error(`${load.failed} requests failed:\n${load.output}`);
    const pauses = out.slice(from).split('\n').flatMap((line) => {
      const m = MARK_COMPACT.exec(line);
      return m === null ? [] : [Number(m[2])];
    });
    return { fullGcs: pauses.length, fullGcMs: pauses.reduce((a, b) => a + b, 0), longestMs: Math.max(0, ...pauses), cpuUsPerRequest: (cpu * 1e6) / load.requests };
  } finally {
    await stopChild(child);
  }
}

async function main(): Promise<void> {
  const upstream = await startNginx(dir, (stop) => cleanups.push(stop), 'upstream', (port) => `server { listen 127.0.0.1:${port}; keepalive_timeout 300s; location / { return 200 "ok\\n"; } }`);
  const runs = new Map(builds.map((b) => [b.name, [] as Run[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
      const run = await oneRun(b.dist, upstream.port);
      console.log(`round ${round + 1} ${b.name}: ${run.fullGcs} full GCs (${run.fullGcMs.toFixed(1)} ms, longest ${run.longestMs.toFixed(1)}), ${run.cpuUsPerRequest.toFixed(1)} CPU µs/request`);
      runs.get(b.name)!.push(run);
    }
  }
  console.log(`\nsluice proxy --workers 1, ${TABLE.routes} routes; 1 s of load, ${IDLE_S} s idle, then wrk -t1 -c50 -d${DURATION_S}s; ${ROUNDS} rounds, each build's runs listed\n`);
  console.log('| build | full GCs during the load | their pauses ms | longest ms | CPU µs/request |');
  console.log('| --- | --: | --: | --: | --: |');
  for (const [name, rs] of runs) {
    const list = (f: (r: Run) => number, digits: number): string => rs.map((r) => f(r).toFixed(digits)).join(', ');
    console.log(`| ${name} | ${list((r) => r.fullGcs, 0)} | ${list((r) => r.fullGcMs, 1)} | ${list((r) => r.longestMs, 1)} | ${list((r) => r.cpuUsPerRequest, 1)} |`);
  }
}

await runBench(dir, cleanups, main);
