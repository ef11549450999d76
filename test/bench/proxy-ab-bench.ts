// Two builds of the proxy compared on CPU per request, paired: both run at once (--workers 1) on
// core 0 behind one nginx upstream on core 1, and wrk -t1 -c50 alternates between them round by
// round (a 12-byte GET), the order swapped every round. On a shared machine whose load comes and
// goes, the ratio of the two within each round shows a few percent that separate runs cannot.
//   flock /tmp/sluice-load.lock node dist/test/bench/proxy-ab-bench.js --a /path/to/other/dist [--b dist] [--rounds 8] [--duration 4]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pinTree } from '../e2e/mtls/support/process-tree.js';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { until } from '../support/until.js';
import { median } from './median.js';
import { startNginx } from './nginx-config.js';
import { cpuTicks, TICK_HZ } from './process-cpu.js';

const { values } = parseArgs({ options: {
  a: { type: 'string' },
  b: { type: 'string', default: fileURLToPath(new URL('../..', import.meta.url)) },
  rounds: { type: 'string', default: '8' },
  duration: { type: 'string', default: '4' },
} });
if (values.a === undefined) throw new Error('--a DIST: the dist folder of the build to compare with');
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const dir = mkdtempSync(join(tmpdir(), 'sluice-ab-bench-'));
const stops: Array<() => unknown> = [];

interface Build {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly cpuUs: number[];
}

async function startBuild(name: string, dist: string, upstreamPort: number): Promise<Build> {
  const port = await freePort();
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, `kind: Cluster\nname: up\nendpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]\npool: {maxIdlePerEndpoint: 256}\n---\nkind: Route\nname: all\nhosts: ["*"]\nforward: {cluster: up}\n---\nkind: Listener\nname: bench\naddress: 127.0.0.1\nport: ${port}\n`);
  const script = join(dir, `${name}.mjs`);
  const command = join(resolve(dist), 'data-plane/src/cli/proxy-command.js');
  writeFileSync(script, `const { runProxyCommand } = await import(${JSON.stringify(command)});\nawait runProxyCommand(['--config', ${JSON.stringify(config)}, '--workers', '1', '--admin-listen', 'off']);\n`);
  const child = spawnGuarded('taskset', ['-c', '0', process.execPath, script]);
  stops.push(() => stopChild(child, 2000, 'SIGINT'));
  await until(`${name} answers on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/small`).catch(() => undefined))?.status === 200, 10_000, 100);
  return { name, port, child, cpuUs: [] };
}

async function wrk(port: number, seconds: number): Promise<number> {
  const out = await new Promise<string>((done, fail) => {
    const child = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, `http://127.0.0.1:${port}/small`]);
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c));
    child.on('error', fail);
    child.on('exit', () => done(text));
  });
  if (/Non-2xx|Socket errors/.test(out)) process.stderr.write(out);
  return Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const upstream = await startNginx(dir, (stop) => stops.push(stop), 'upstream', (port) => `server { listen 127.0.0.1:${port}; keepalive_timeout 300s;
    location = /small { default_type text/plain; return 200 "hello world\\n"; } }`);
  pinTree(upstream.pid, 1);
  const builds = [await startBuild('a', values.a!, upstream.port), await startBuild('b', values.b, upstream.port)];
  for (const b of builds) await wrk(b.port, 2);
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
      const before = cpuTicks([b.child.pid!]);
      const requests = await wrk(b.port, DURATION_S);
      b.cpuUs.push((((cpuTicks([b.child.pid!]) - before) / TICK_HZ) * 1e6) / requests);
    }
  }
  const ratios = builds[1]!.cpuUs.map((us, i) => us / builds[0]!.cpuUs[i]!);
  console.log(`wrk -t1 -c50 -d${DURATION_S}s, ${ROUNDS} rounds alternating; CPU µs/request of each build (median, then every round)`);
  for (const b of builds) console.log(`${b.name} ${b.name === 'a' ? values.a : values.b}: ${median(b.cpuUs).toFixed(1)} (${b.cpuUs.map((x) => x.toFixed(1)).join(' ')})`);
  console.log(`b / a per round: ${ratios.map((x) => x.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`);
}

try {
  await main();
} finally {
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
}
