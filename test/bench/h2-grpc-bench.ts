// HTTP/2 and gRPC benchmark, side by side in one run: h2load over TLS (ALPN h2) through Sluice and through
// nginx terminating h2, both proxying to the same nginx upstream over HTTP/1.1; and @grpc/grpc-js
// unary and server-streaming throughput called directly and through Sluice (H2C cluster). Sluice
// runs in its own process (one core's worth: one event loop), as does each nginx (one worker).
//
//   npm run build && node dist/test/bench/h2-grpc-bench.js [--requests 50000] [--calls 20000]
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { parseConfigText } from '../../data-plane/src/cli/load-proxy-config.js';
import { MeshProxy } from '../../data-plane/src/mesh/mesh-proxy.js';
import { SERVICE, startGrpcServer, type Msg } from '../data-plane/helpers/grpc-echo.js';
import { exampleCertificates } from '../support/examples.js';
import { writeNginxConf } from './nginx-config.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { requests: { type: 'string', default: '50000' }, calls: { type: 'string', default: '20000' }, serve: { type: 'string' } } });

if (values.serve !== undefined) {
  // Child mode: serve a config and print the listeners' ports.
  const parsed = parseConfigText(readFileSync(values.serve, 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const mesh = new MeshProxy();
  const r = await mesh.applyResources(parsed.config.resources);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  console.log(JSON.stringify(Object.fromEntries(mesh.listeners.names().map((n) => [n, mesh.listeners.address(n)!.port]))));
} else {
  await main();
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  await until(`an answer on ${port}`, async () => {
    await run('curl', ['-sk', '-o', '/dev/null', `https://127.0.0.1:${port}/`]).catch(() => run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${port}/`]));
    return true;
  }, 10_000, 100);
}

function nginx(dir: string, name: string, body: string): ChildProcess {
  const conf = writeNginxConf(dir, name, body);
  return spawn('nginx', ['-c', conf, '-p', dir, '-e', join(dir, `${name}.err`)], { stdio: 'ignore' });
}

async function h2load(port: number, requests: number): Promise<{ rps: number; meanMs: number }> {
  const { stdout } = await run('h2load', ['-n', String(requests), '-c', '10', '-m', '10', '-H', ':authority: web.local', `https://127.0.0.1:${port}/`], { maxBuffer: 1 << 24 });
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout)?.[1]);
  const failed = Number(/(\d+) failed/.exec(stdout)?.[1]);
  if (failed > 0 || !(rps > 0)) throw new Error(`h2load: ${stdout}`);
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(stdout)?.[1] ?? '';
  const meanMs = mean.endsWith('us') ? Number(mean.slice(0, -2)) / 1000 : Number(mean.replace('ms', ''));
  return { rps, meanMs };
}

async function grpcBench(target: string, calls: number): Promise<{ unaryPerSec: number; streamMsgsPerSec: number }> {
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
  const c = new Client(target, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.local' }) as unknown as Record<string, Function> & grpc.Client;
  const unary = () => new Promise<void>((resolve, reject) => c['unary']!({ n: 1 }, (err: Error | null) => (err ? reject(err) : resolve())));
  for (let i = 0; i < 500; i++) await unary();
  let started = performance.now();
  let left = calls;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (left-- > 0) await unary();
    }),
  );
  const unaryPerSec = calls / ((performance.now() - started) / 1000);
  started = performance.now();
  const msgs = calls * 5;
  await new Promise<void>((resolve, reject) => {
    const call = c['serverStream']!({ n: msgs } as Msg);
    call.on('data', () => {});
    call.on('end', resolve);
    call.on('error', reject);
  });
  const streamMsgsPerSec = msgs / ((performance.now() - started) / 1000);
  c.close();
  return { unaryPerSec, streamMsgsPerSec };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-h2bench-'));
  const children: ChildProcess[] = [];
  try {
    const certs = exampleCertificates();
    const pem = (name: string, field: 'certChain' | 'privateKey') => {
      const doc = certs.find((d) => d.includes(`name: ${name}`))!;
      return /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g.exec(doc.slice(doc.indexOf(field)))![0].replace(/^\s+/gm, '');
    };
    writeFileSync(join(dir, 'web.pem'), `${pem('web-local', 'certChain')}\n`);
    writeFileSync(join(dir, 'web.key'), `${pem('web-local', 'privateKey')}\n`);

    const upPort = await freePort();
    children.push(nginx(dir, 'upstream', `server { listen 127.0.0.1:${upPort}; location / { return 200 "hello from the upstream\\n"; } }`));
    const frontPort = await freePort();
    children.push(
      nginx(dir, 'front', `upstream up { server 127.0.0.1:${upPort}; keepalive 256; }
  server { listen 127.0.0.1:${frontPort} ssl http2; ssl_certificate ${dir}/web.pem; ssl_certificate_key ${dir}/web.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`),
    );
    const { port: grpcPort, server } = await startGrpcServer();
    const config = join(dir, 'sluice.yaml');
    writeFileSync(
      config,
      `${certs.join('\n---\n')}
---
kind: Listener
name: tls
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-local]}
---
kind: Listener
name: plain
address: 127.0.0.1
port: 0
---
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: ${upPort}}]
---
kind: Cluster
name: greeter
protocol: H2C
endpoints: [{address: 127.0.0.1, port: ${grpcPort}}]
---
kind: Route
name: greeter
hosts: ["grpc.local"]
match: {pathPrefix: /}
forward: {cluster: greeter}
---
kind: Route
name: web
hosts: ["web.local"]
match: {pathPrefix: /}
forward: {cluster: web}
`,
    );
    const sluice = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', config], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sluice);
    const ports = await new Promise<Record<string, number>>((resolve) => sluice.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, number>)));
    await waitForPort(frontPort);

    const n = Number(values.requests);
    // Warm-up, then interleaved rounds; medians.
    await h2load(ports['tls']!, 5000);
    await h2load(frontPort, 5000);
    const rows: Record<string, { rps: number; meanMs: number }[]> = { sluice: [], nginx: [] };
    for (let round = 0; round < 3; round++) {
      rows['sluice']!.push(await h2load(ports['tls']!, n));
      rows['nginx']!.push(await h2load(frontPort, n));
    }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const s = { rps: med(rows['sluice']!.map((r) => r.rps)), meanMs: med(rows['sluice']!.map((r) => r.meanMs)) };
    const x = { rps: med(rows['nginx']!.map((r) => r.rps)), meanMs: med(rows['nginx']!.map((r) => r.meanMs)) };
    console.log(`\nh2load -n ${n} -c 10 -m 10 over TLS (ALPN h2) to an HTTP/1.1 nginx upstream; medians of 3 rounds\n`);
    console.log('| front | req/s | mean ms | ÷ nginx |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(`| nginx (1 worker) | ${x.rps.toFixed(0)} | ${x.meanMs.toFixed(2)} | 1.00 |`);
    console.log(`| Sluice (1 process) | ${s.rps.toFixed(0)} | ${s.meanMs.toFixed(2)} | ${(s.rps / x.rps).toFixed(2)} |`);

    const calls = Number(values.calls);
    const direct = await grpcBench(`127.0.0.1:${grpcPort}`, calls);
    const proxied = await grpcBench(`127.0.0.1:${ports['plain']}`, calls);
    console.log(`\n@grpc/grpc-js, ${calls} unary calls (50 in flight), one server stream of ${calls * 5} messages\n`);
    console.log('| path | unary calls/s | ÷ direct | stream msgs/s | ÷ direct |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(`| direct | ${direct.unaryPerSec.toFixed(0)} | 1.00 | ${direct.streamMsgsPerSec.toFixed(0)} | 1.00 |`);
    console.log(`| through Sluice (h2c both sides) | ${proxied.unaryPerSec.toFixed(0)} | ${(proxied.unaryPerSec / direct.unaryPerSec).toFixed(2)} | ${proxied.streamMsgsPerSec.toFixed(0)} | ${(proxied.streamMsgsPerSec / direct.streamMsgsPerSec).toFixed(2)} |`);
    server.forceShutdown();
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
