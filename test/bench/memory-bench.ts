// Proxy memory: resident set idle and under load, per process, with one route and with 10,000, and
// what 10,000 idle keep-alive client connections cost; nginx (1 worker, proxying to the same upstream)
// beside it in the same run. RSS counts the node binary's mapped pages (about 34 MiB that every Node
// process shares with the others on the machine), so the private (anonymous) part is shown too.
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/memory-bench.js [--connections 10000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { until } from '../support/until.js';
import { startNginx } from './nginx-config.js';
import { childrenOf } from './process-cpu.js';
import { runBench } from './run-bench.js';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '10000' }, routes: { type: 'string', default: '10000' } } });
const CONNECTIONS = Number(values.connections);
const ROUTES = Number(values.routes);
const dir = mkdtempSync(join(tmpdir(), 'sluice-memory-bench-'));
const SLUICE = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const stops: Array<() => unknown> = [];

interface Memory {
  readonly rssMiB: number;
  readonly anonMiB: number;
}

function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, anonMiB: kb('RssAnon') / 1024 };
}

function configYaml(upstreamPort: number, listenPort: number, routes: number): string {
  const docs = [`kind: Cluster\nname: web\nendpoints:\n  - address: 127.0.0.1\n    port: ${upstreamPort}\n`];
  // Host routes the requests never match, then the one they do: the table is as big as asked.
  for (let i = 1; i < routes; i++) docs.push(`kind: Route\nname: r${i}\nhosts: ["h${i}.bench.local"]\nforward:\n  cluster: web\n`);
  docs.push(`kind: Route\nname: all\nhosts: ["*"]\nforward:\n  cluster: web\n`);
  docs.push(`kind: Listener\nname: main\naddress: 127.0.0.1\nport: ${listenPort}\n`);
  return docs.join('---\n');
}

interface Running {
  readonly port: number;
  /** The processes that serve traffic: the workers, or the one process. */
  serving(): number[];
  /** Every process of the proxy (a primary too). */
  all(): number[];
}

async function startSluice(name: string, upstreamPort: number, routes: number, workers: number): Promise<Running> {
  const port = await freePort();
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, configYaml(upstreamPort, port, routes));
  const child: ChildProcess = spawnGuarded(process.execPath, [SLUICE, 'proxy', '--config', file, '--workers', String(workers), '--admin-listen', 'off']);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c));
  child.stderr?.on('data', (c: Buffer) => (out += c));
  stops.push(() => stopChild(child, 3000, 'SIGINT'));
  await until(() => `${name} ready (${out.trim()})`, () => out.includes('sluice proxy: ready'), 60_000, 100);
  const pid = child.pid!;
  return { port, serving: () => (workers === 1 ? [pid] : childrenOf(pid)), all: () => [pid, ...childrenOf(pid)] };
}

/** wrk for `seconds`, sampling the largest RSS of the serving processes meanwhile. */
async function underLoad(port: number, pids: () => number[], seconds: number): Promise<{ peakMiB: number; rps: number }> {
  let peak = 0;
  const sample = setInterval(() => {
    for (const pid of pids()) peak = Math.max(peak, memoryOf(pid).rssMiB);
  }, 100);
  const text = await new Promise<string>((resolve, reject) => {
    const wrk = spawn('wrk', ['-t1', '-c50', `-d${seconds}s`, `http://127.0.0.1:${port}/`]);
    let s = '';
    wrk.stdout.on('data', (c: Buffer) => (s += c));
    wrk.on('error', reject);
    wrk.on('exit', () => resolve(s));
  });
  clearInterval(sample);
  return { peakMiB: peak, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN) };
}

/** Opens `n` connections, sends one keep-alive request on each and keeps them open once answered. */
async function idleKeepAlive(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const one = (): Promise<Socket> => new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: bench.local\r\n\r\n'));
    let seen = '';
    const onData = (c: Buffer): void => {
      seen += c.toString('latin1');
      if (/\r\n\r\n[\s\S]*hello/.test(seen)) {
        s.off('data', onData);
        resolve(s);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.setTimeout(20_000, () => reject(new Error(`no answer on a keep-alive connection (${seen.slice(0, 80)})`)));
  });
  for (let i = 0; i < n; i += 200) sockets.push(...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, one))));
  return sockets;
}

const sum = (pids: number[], pick: (m: Memory) => number): number => pids.reduce((a, pid) => a + pick(memoryOf(pid)), 0);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 3000));
const f1 = (x: number): string => x.toFixed(1);

async function main(): Promise<void> {
  const upstream = await startNginx(dir, (stop) => stops.push(stop), 'upstream', (port) => `server { listen 127.0.0.1:${port}; location / { return 200 "hello\\n"; } }`);
  const rows: string[] = [];

  for (const [name, routes, workers] of [['Sluice, 1 route, 1 process', 1, 1], [`Sluice, ${ROUTES.toLocaleString('en')} routes, 1 process`, ROUTES, 1], ['Sluice, 1 route, --workers 2', 1, 2]] as const) {
    const proxy = await startSluice(name.replace(/\W+/g, '-'), upstream.port, routes, workers);
    await settle();
    const idle = proxy.serving().map(memoryOf);
    const primary = workers === 1 ? undefined : memoryOf(proxy.all()[0]!);
    const load = await underLoad(proxy.port, proxy.serving, 5);
    let perConnKiB = NaN;
    if (workers === 1) {
      await settle();
      const before = sum(proxy.serving(), (m) => m.rssMiB);
      const sockets = await idleKeepAlive(proxy.port, CONNECTIONS);
      await settle();
      perConnKiB = ((sum(proxy.serving(), (m) => m.rssMiB) - before) * 1024) / CONNECTIONS;
      for (const s of sockets) s.destroy();
    }
    const idleRss = idle.map((m) => f1(m.rssMiB)).join(' / ');
    const idleAnon = idle.map((m) => f1(m.anonMiB)).join(' / ');
    rows.push(`| ${name} | ${idleRss}${primary === undefined ? '' : ` (primary ${f1(primary.rssMiB)})`} | ${idleAnon} | ${f1(load.peakMiB)} | ${Math.round(load.rps)} | ${Number.isNaN(perConnKiB) ? '—' : f1(perConnKiB)} |`);
    await stops.pop()!();
  }

  // nginx as the proxy, one worker: its worker's memory (the master holds no connections).
  const nginx = await startNginx(dir, (stop) => stops.push(stop), 'proxy', (port) =>
    `upstream web { server 127.0.0.1:${upstream.port}; keepalive 64; }\n  server { listen 127.0.0.1:${port}; location / { proxy_pass http://web; proxy_http_version 1.1; proxy_set_header Connection ""; } }`, CONNECTIONS + 1024);
  const workersOfNginx = (): number[] => childrenOf(nginx.pid);
  await settle();
  const idle = workersOfNginx().map(memoryOf);
  const load = await underLoad(nginx.port, workersOfNginx, 5);
  await settle();
  const before = sum(workersOfNginx(), (m) => m.rssMiB);
  const sockets = await idleKeepAlive(nginx.port, CONNECTIONS);
  await settle();
  const perConnKiB = ((sum(workersOfNginx(), (m) => m.rssMiB) - before) * 1024) / CONNECTIONS;
  for (const s of sockets) s.destroy();
  rows.push(`| nginx (1 worker) | ${idle.map((m) => f1(m.rssMiB)).join(' / ')} | ${idle.map((m) => f1(m.anonMiB)).join(' / ')} | ${f1(load.peakMiB)} | ${Math.round(load.rps)} | ${f1(perConnKiB)} |`);

  console.log(`\n| proxy | RSS idle MiB (each serving process) | private MiB idle | RSS peak under wrk -c50 MiB | req/s | KiB per idle keep-alive connection (${CONNECTIONS.toLocaleString('en')}) |`);
  console.log('| --- | --: | --: | --: | --: | --: |');
  for (const r of rows) console.log(r);
}

await runBench(dir, stops, main);
