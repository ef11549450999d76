// TCP (L4) proxy benchmark: Sluice's TCP listener and HAProxy in TCP mode side by side in one run,
// in front of the same upstream (a Node echo server, tcp-echo-server.ts). Each proxy is pinned to core
// 0 and runs one process and one thread; the upstream and the load (tcp-load.ts) share core 1. Two
// loads, interleaved over rounds, medians: bulk transfer (connections echoing megabytes: MB carried
// per second of proxy CPU) and short connections (connect, 64 bytes each way, close: proxy CPU per
// connection). Ratios are Sluice's over HAProxy's. A direct row (no proxy) shows what the load and
// upstream manage alone.
//   node dist/test/bench/tcp-bench.js [--rounds 3] [--megabytes 32] [--bulk-connections 8] [--connections 4000]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { until } from '../support/until.js';
import { median } from './median.js';
import { childrenOf, cpuTicks, TICK_HZ } from './process-cpu.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, megabytes: { type: 'string', default: '32' }, 'bulk-connections': { type: 'string', default: '8' }, connections: { type: 'string', default: '4000' } } });
const ROUNDS = Number(values.rounds);
const MEGABYTES = Number(values.megabytes);
const BULK_CONNECTIONS = Number(values['bulk-connections']);
const CONNECTIONS = Number(values.connections);
const CONCURRENCY = 16;
const dir = mkdtempSync(join(tmpdir(), 'sluice-tcp-bench-'));
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Contender {
  readonly name: string;
  readonly port: number;
  /** Processes whose CPU counts; none for the direct row. */
  pids(): number[];
  stop(): Promise<void>;
}

function pinned(core: number, command: string, args: string[]): ChildProcess {
  return spawnGuarded('taskset', ['-c', String(core), command, ...args]);
}

async function accepting(port: number): Promise<void> {
  await until(`a TCP echo through ${port}`, () => new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.once('connect', () => s.write('x'));
    s.once('error', () => resolve(false));
    setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 500);
  }), 15_000, 100);
}

async function startPinned(name: string, core: number, command: string, args: string[], port: number): Promise<Contender> {
  const child = pinned(core, command, args);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c));
  child.stderr?.on('data', (c: Buffer) => (out += c));
  try {
    await accepting(port);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}\n${out}`);
  }
  // taskset execs the command: the child's pid is the proxy's; its children (if any) count too.
  return { name, port, pids: () => [child.pid!, ...childrenOf(child.pid!)], stop: () => stopChild(child, 3000) };
}

async function startSluice(upstreamPort: number): Promise<Contender> {
  const port = await freePort();
  const config = join(dir, 'sluice.yaml');
  writeFileSync(config, `kind: Cluster
name: echo
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Listener
name: bench
address: 127.0.0.1
port: ${port}
protocol: TCP
tcp: {cluster: echo}
`);
  const script = join(dir, 'sluice.mjs');
  writeFileSync(script, `const { runProxyCommand } = await import(${JSON.stringify(here('../../data-plane/src/cli/proxy-command.js'))});
await runProxyCommand(['--config', ${JSON.stringify(config)}, '--workers', '1', '--admin-listen', 'off']);
`);
  return startPinned('Sluice', 0, process.execPath, [script], port);
}

async function startHaproxy(upstreamPort: number): Promise<Contender> {
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  // One thread, TCP mode, the same timeouts as Sluice's defaults (connect 5 s, idle 1 h).
  writeFileSync(config, `global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
listen bench
  bind 127.0.0.1:${port}
  server echo 127.0.0.1:${upstreamPort}
`);
  return startPinned('HAProxy', 0, 'haproxy', ['-f', config, '-db'], port);
}

/** Runs the load on core 1 and returns its JSON line. */
function load(args: string[]): Promise<{ bytes?: number; connections?: number; failed?: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = pinned(1, process.execPath, [here('./tcp-load.js'), ...args]);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c));
    child.stderr!.on('data', (c: Buffer) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as { ms: number });
      else reject(new Error(`load ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

interface Sample {
  mbPerS: number;
  mbPerCpuS: number;
  connPerS: number;
  cpuUsPerConn: number;
}

async function measure(c: Contender): Promise<Sample> {
  const pids = c.pids();
  let before = cpuTicks(pids);
  const bulk = await load(['bulk', String(c.port), String(BULK_CONNECTIONS), String(MEGABYTES)]);
  const bulkCpuS = (cpuTicks(pids) - before) / TICK_HZ;
  const mb = bulk.bytes! / (1024 * 1024);
  before = cpuTicks(pids);
  const short = await load(['conns', String(c.port), String(CONCURRENCY), String(CONNECTIONS)]);
  const shortCpuS = (cpuTicks(pids) - before) / TICK_HZ;
  if (short.failed! > 0) process.stderr.write(`${c.name}: ${short.failed} short connections failed\n`);
  return {
    mbPerS: mb / (bulk.ms / 1000),
    mbPerCpuS: pids.length === 0 ? NaN : mb / bulkCpuS,
    connPerS: short.connections! / (short.ms / 1000),
    cpuUsPerConn: pids.length === 0 ? NaN : (shortCpuS * 1e6) / short.connections!,
  };
}

async function main(): Promise<void> {
  const upstreamPort = await freePort();
  const upstream = await startPinned('upstream', 1, process.execPath, [here('./tcp-echo-server.js'), String(upstreamPort)], upstreamPort);
  const direct: Contender = { name: 'direct (no proxy)', port: upstreamPort, pids: () => [], stop: async () => {} };
  const contenders = [direct, await startSluice(upstreamPort), await startHaproxy(upstreamPort)];
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  try {
    // A warm-up pass (JIT, caches), then interleaved rounds so drift hits every contender alike.
    for (const c of contenders) await load(['conns', String(c.port), String(CONCURRENCY), '500']);
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of contenders) samples.get(c.name)!.push(await measure(c));
    }
  } finally {
    for (const c of contenders) await c.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (name: string, key: keyof Sample): number => median(samples.get(name)!.map((s) => s[key]));
  const fmt = (x: number, digits = 0): string => (Number.isNaN(x) ? '–' : x.toFixed(digits));
  const ratio = (name: string, key: keyof Sample): string => (name === 'HAProxy' || name.startsWith('direct') ? '' : ` (${(med(name, key) / med('HAProxy', key)).toFixed(2)}×)`);
  console.log(`| proxy | bulk MB/s | bulk MB per proxy CPU-second | short connections/s | proxy CPU µs per connection |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const c of contenders) {
    console.log(`| ${c.name} | ${fmt(med(c.name, 'mbPerS'))}${ratio(c.name, 'mbPerS')} | ${fmt(med(c.name, 'mbPerCpuS'))}${ratio(c.name, 'mbPerCpuS')} | ${fmt(med(c.name, 'connPerS'))}${ratio(c.name, 'connPerS')} | ${fmt(med(c.name, 'cpuUsPerConn'))}${ratio(c.name, 'cpuUsPerConn')} |`);
  }
  console.log(`\n${ROUNDS} rounds, medians; bulk: ${BULK_CONNECTIONS} connections × ${MEGABYTES} MB echoed (MB counts both directions); short: ${CONNECTIONS} connections, ${CONCURRENCY} at a time, 64 bytes each way.`);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
