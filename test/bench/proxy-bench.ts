// HTTP/1.1 proxy benchmark: no proxy, nginx, Sluice, the `http-proxy` package and a minimal
// node:http + undici proxy, side by side in one run. Upstream: nginx (small body, 64 KiB file).
// Load: wrk -t1 -c50 per contender, interleaved rounds, medians. The proxy under test is pinned to
// core 0; wrk and the upstream share core 1 (PERFORMANCE.md's method).
//   node dist/test/bench/proxy-bench.js [--rounds 5] [--duration 5] [--unpinned] [--upstream nginx|node]
// --unpinned: nothing pinned, every process scheduled on both cores. --upstream node: a node:http
// server answers instead of nginx (the same for every contender), so the upstream, not the proxy, sets
// the pace (docs/benchmarks.md compares the two harnesses).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { until } from '../support/until.js';
import { writeNginxConf } from './nginx-config.js';
import { childrenOf, cpuTicks, TICK_HZ } from './process-cpu.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    unpinned: { type: 'boolean', default: false },
    upstream: { type: 'string', default: 'nginx' },
  },
});
const UNPINNED = values.unpinned;
if (values.upstream !== 'nginx' && values.upstream !== 'node') throw new Error('--upstream is nginx or node');
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const WARMUP_S = Number(values.warmup);
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
// nginx's worker runs as an unprivileged user: it must be able to read the 64 KiB file.
chmodSync(dir, 0o755);
const require = createRequire(import.meta.url);

interface Contender {
  readonly name: string;
  readonly port: number;
  /** Processes whose CPU counts (a master and its worker). */
  pids(): number[];
  stop(): Promise<void>;
}

interface Sample {
  rps: number;
  p50ms: number;
  p99ms: number;
  cpuUsPerReq: number;
  rssMiB: number;
}

/** Pinned to `core`, or free to run on any core with --unpinned. */
function pinned(core: number, command: string, args: string[]) {
  return UNPINNED ? spawnGuarded(command, args) : spawnGuarded('taskset', ['-c', String(core), command, ...args]);
}

async function waitForPort(port: number, path = '/small'): Promise<void> {
  await until(`a 2xx answer on ${port}${path}`, async () => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    await res.arrayBuffer();
    return res.ok;
  }, 10_000, 100);
}

function nginxConf(name: string, port: number, body: string): string {
  return writeNginxConf(dir, name, body.replaceAll('PORT', String(port)));
}

async function startNginx(name: string, core: number, body: string): Promise<Contender> {
  const port = await freePort();
  const child = pinned(core, 'nginx', ['-c', nginxConf(name, port, body), '-p', dir, '-e', join(dir, `${name}.err`)]);
  try {
    await waitForPort(port);
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(join(dir, `${name}.err`), 'utf8');
    } catch {
      // no log
    }
    throw new Error(`${name}: ${(err as Error).message}\n${log}`);
  }
  return { name, port, pids: () => [child.pid!, ...childrenOf(child.pid!)], stop: () => stopChild(child, 2000, 'SIGQUIT') };
}


async function startNode(name: string, script: string, args: string[] = [], core = 0): Promise<Contender> {
  const port = await freePort();
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, script);
  const child = pinned(core, process.execPath, [file, String(port), ...args]);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c));
  child.stderr?.on('data', (c: Buffer) => (out += c));
  try {
    await waitForPort(port);
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}\n${out}`);
  }
  return { name, port, pids: () => [child.pid!], stop: () => stopChild(child, 2000) };
}


function rssMiB(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kb / 1024;
}

async function wrk(url: string, seconds: number): Promise<{ rps: number; requests: number; p50ms: number; p99ms: number }> {
  const out = await new Promise<string>((resolve, reject) => {
    const args = ['-t1', '-c50', `-d${seconds}s`, '--latency', url];
    const child = UNPINNED ? spawn('wrk', args) : spawn('taskset', ['-c', '1', 'wrk', ...args]);
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c));
    child.on('error', reject);
    child.on('exit', () => resolve(text));
  });
  const ms = (label: string): number => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (m === null) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const bad = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (bad !== null) process.stderr.write(`wrk ${url}: ${bad[0]}\n`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    p50ms: ms('50'),
    p99ms: ms('99'),
  };
}

async function measure(c: Contender | undefined, port: number, path: string): Promise<Sample> {
  const url = `http://127.0.0.1:${port}${path}`;
  await wrk(url, WARMUP_S);
  const pids = c?.pids() ?? [];
  const before = cpuTicks(pids);
  const r = await wrk(url, DURATION_S);
  const ticks = cpuTicks(pids) - before;
  return { rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms, cpuUsPerReq: pids.length === 0 ? NaN : ((ticks / TICK_HZ) * 1e6) / r.requests, rssMiB: rssMiB(pids) };
}

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The --upstream node server: the same two answers as the nginx upstream's, from node:http. */
const NODE_UPSTREAM = `import http from 'node:http';
import { readFileSync } from 'node:fs';
const small = Buffer.from('hello world\\n');
const big = readFileSync(process.argv[3]);
http.createServer({ keepAliveTimeout: 300_000 }, (req, res) => {
  const body = req.url === '/64k' ? big : req.url === '/small' ? small : undefined;
  if (body === undefined) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': req.url === '/64k' ? 'application/octet-stream' : 'text/plain', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
`;

const UNDICI_PROXY = `import http from 'node:http';
import { Pool } from ${JSON.stringify(require.resolve('undici'))};
const pool = new Pool('http://127.0.0.1:' + process.argv[3], { connections: 256, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection', 'trailer']);
http.createServer((req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  pool.stream({ path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, ({ statusCode, headers }) => {
    const out = {};
    for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(statusCode, out);
    return res;
  }, (err) => { if (err && !res.headersSent) { res.statusCode = 502; res.end(); } else if (err) res.destroy(); });
}).listen(Number(process.argv[2]), '127.0.0.1');
`;

const HTTP_PROXY = `import http from 'node:http';
import { createRequire } from 'node:module';
const httpProxy = createRequire(import.meta.url)(${JSON.stringify(require.resolve('http-proxy'))});
const proxy = httpProxy.createProxyServer({ target: 'http://127.0.0.1:' + process.argv[3], agent: new http.Agent({ keepAlive: true, maxSockets: 256 }) });
proxy.on('error', (_e, _req, res) => { try { res.writeHead(502); res.end(); } catch {} });
http.createServer((req, res) => proxy.web(req, res)).listen(Number(process.argv[2]), '127.0.0.1');
`;

function sluiceScript(upstreamPort: number): string {
  const command = fileURLToPath(new URL('../../data-plane/src/cli/proxy-command.js', import.meta.url));
  const config = join(dir, 'sluice.yaml');
  return `import { writeFileSync } from 'node:fs';
const port = Number(process.argv[2]);
writeFileSync(${JSON.stringify(config)}, \`kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
pool: {maxIdlePerEndpoint: 256}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: up}
---
kind: Listener
name: bench
address: 127.0.0.1
port: \${port}
\`);
const { runProxyCommand } = await import(${JSON.stringify(command)});
await runProxyCommand(['--config', ${JSON.stringify(config)}, '--workers', '1', '--admin-listen', 'off']);
`;
}

async function main(): Promise<void> {
  const bodyFile = join(dir, '64k.bin');
  writeFileSync(bodyFile, Buffer.alloc(64 * 1024, 'x'));
  const upstream = values.upstream === 'node'
    ? await startNode('upstream', NODE_UPSTREAM, [bodyFile], 1)
    : await startNginx('upstream', 1, `server { listen 127.0.0.1:PORT; keepalive_timeout 300s;
    location = /small { default_type text/plain; return 200 "hello world\\n"; }
    location = /64k { alias ${bodyFile}; } }`);
  const contenders: Contender[] = [];
  try {
    contenders.push(
      await startNginx('nginx', 0, `upstream up { server 127.0.0.1:${upstream.port}; keepalive 256; }
      server { listen 127.0.0.1:PORT; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`),
    );
    contenders.push(await startNode('sluice', sluiceScript(upstream.port)));
    contenders.push(await startNode('http-proxy', HTTP_PROXY, [String(upstream.port)]));
    contenders.push(await startNode('node:http+undici', UNDICI_PROXY, [String(upstream.port)]));
    const names = ['no proxy', ...contenders.map((c) => c.name)];
    // Every contender must answer correctly before its speed means anything.
    for (const c of [upstream, ...contenders]) {
      const res = await fetch(`http://127.0.0.1:${c.port}/64k`);
      const n = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200 || n !== 64 * 1024) throw new Error(`${c.name}: /64k answered ${res.status} with ${n} bytes`);
    }
    const samples = new Map<string, Sample[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const path of ['/small', '/64k']) {
        for (const name of names) {
          const c = contenders.find((x) => x.name === name);
          const s = await measure(c, c?.port ?? upstream.port, path);
          const key = `${name} ${path}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          process.stderr.write(`round ${round} ${key}: ${s.rps.toFixed(0)} req/s, ${s.cpuUsPerReq.toFixed(1)} µs/req\n`);
        }
      }
    }
    const med = (key: string, f: keyof Sample): number => median((samples.get(key) ?? []).map((s) => s[f]));
    const fmt = (x: number, d = 0): string => (Number.isNaN(x) ? '—' : x.toFixed(d));
    const placement = UNPINNED ? 'nothing pinned' : `proxy on core 0, wrk + upstream ${values.upstream} on core 1`;
    console.log(`\nwrk -t1 -c50 -d${DURATION_S}s (after ${WARMUP_S}s warm-up), ${ROUNDS} interleaved rounds, medians; upstream ${values.upstream}; ${placement}\n`);
    console.log('| proxy | small req/s | p50 ms | p99 ms | CPU µs/req | ÷ nginx | 64 KiB req/s | p50 ms | p99 ms | CPU µs/req | ÷ nginx | RSS MiB |');
    console.log('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
    for (const name of names) {
      const cells = [name];
      for (const path of ['/small', '/64k']) {
        const key = `${name} ${path}`;
        const cpu = med(key, 'cpuUsPerReq');
        cells.push(fmt(med(key, 'rps')), fmt(med(key, 'p50ms'), 2), fmt(med(key, 'p99ms'), 2), fmt(cpu, 1), fmt(cpu / med(`nginx ${path}`, 'cpuUsPerReq'), 2));
      }
      cells.push(fmt(Math.max(med(`${name} /small`, 'rssMiB'), med(`${name} /64k`, 'rssMiB')), 0));
      console.log(`| ${cells.join(' | ')} |`);
    }
  } finally {
    for (const c of contenders) await c.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
