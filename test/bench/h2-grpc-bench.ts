// HTTP/2 and gRPC benchmark, side by side in one run:
//  - h2load over TLS (ALPN h2) and in cleartext (h2c prior knowledge), many streams per connection,
//    through Sluice and through nginx terminating HTTP/2, both proxying to the same nginx upstream over
//    HTTP/1.1: requests per second and CPU µs per request of each front's own processes (/proc); and
//    Sluice once more with an H2C upstream (the same nginx over h2c), for what an upstream HTTP/2
//    stream costs against a pooled HTTP/1.1 exchange;
//  - @grpc/grpc-js unary and server-streaming throughput called directly and through Sluice (H2C cluster).
// Sluice runs in its own process (one event loop: one core's worth), as does each nginx (one worker),
// so both fronts have the same CPU. `--cpu-prof DIR` writes the Sluice process's V8 CPU profile there.
//
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/h2-grpc-bench.js \
//     [--requests 50000] [--streams 100] [--calls 20000] [--grpc-rounds 5] [--cpu-prof DIR]
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { parseConfigText } from '../../data-plane/src/cli/load-proxy-config.js';
import { MeshProxy } from '../../data-plane/src/mesh/mesh-proxy.js';
import { SERVICE, startGrpcServer, type Msg } from '../data-plane/helpers/grpc-echo.js';
import { exampleCertificates } from '../support/examples.js';
import { freePort } from '../support/free-port.js';
import { spawnGuarded, stopChild } from '../support/process-guard.js';
import { startNginx } from './nginx-config.js';
import { median } from './median.js';
import { childrenOf, cpuTicks, TICK_HZ } from './process-cpu.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    streams: { type: 'string', default: '100' },
    calls: { type: 'string', default: '20000' },
    'grpc-rounds': { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
    serve: { type: 'string' },
  },
});
const CONNECTIONS = 10;

if (values.serve !== undefined) {
  // Child mode: serve a config and print the listeners' ports; SIGTERM exits normally, so that
  // --cpu-prof gets to write its profile.
  const parsed = parseConfigText(readFileSync(values.serve, 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const mesh = new MeshProxy();
  const r = await mesh.applyResources(parsed.config.resources);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  process.once('SIGTERM', () => process.exit(0));
  console.log(JSON.stringify(Object.fromEntries(mesh.listeners.names().map((n) => [n, mesh.listeners.address(n)!.port]))));
} else {
  await main();
}

interface Front {
  readonly url: (scheme: 'https' | 'http') => string;
  /** The :authority h2load sends: it picks the route, and with it the upstream protocol. */
  readonly authority: string;
  readonly pids: () => number[];
}

interface LoadResult {
  rps: number;
  cpuUsPerReq: number;
}



async function h2load(front: Front, scheme: 'https' | 'http', requests: number): Promise<LoadResult> {
  const pids = front.pids();
  const before = cpuTicks(pids);
  const args = ['-n', String(requests), '-c', String(CONNECTIONS), '-m', values.streams!, '-H', `:authority: ${front.authority}`, front.url(scheme)];
  const { stdout } = await run('h2load', args, { maxBuffer: 1 << 24, timeout: 120_000 });
  const ticks = cpuTicks(pids) - before;
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout)?.[1]);
  const failed = Number(/(\d+) failed/.exec(stdout)?.[1]);
  const succeeded = Number(/(\d+) succeeded/.exec(stdout)?.[1]);
  if (failed > 0 || !(rps > 0)) throw new Error(`h2load: ${stdout}`);
  return { rps, cpuUsPerReq: ((ticks / TICK_HZ) * 1e6) / succeeded };
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
  const stops: (() => unknown)[] = [];
  try {
    const certs = exampleCertificates();
    const pem = (name: string, field: 'certChain' | 'privateKey') => {
      const doc = certs.find((d) => d.includes(`name: ${name}`))!;
      return /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g.exec(doc.slice(doc.indexOf(field)))![0].replace(/^\s+/gm, '');
    };
    writeFileSync(join(dir, 'web.pem'), `${pem('web-local', 'certChain')}\n`);
    writeFileSync(join(dir, 'web.key'), `${pem('web-local', 'privateKey')}\n`);

    // One nginx upstream on two ports: HTTP/1.1, and h2c (prior knowledge) for Sluice's H2C cluster.
    const upH2cPort = await freePort();
    const up = await startNginx(dir, (stop) => stops.push(stop), 'upstream', (port) => `server { listen 127.0.0.1:${port}; listen 127.0.0.1:${upH2cPort} http2; location / { return 200 "hello from the upstream\\n"; } }`);
    // Two server blocks on one nginx worker: h2 over TLS, and h2c (prior knowledge) in cleartext.
    const nginxTlsPort = await freePort();
    const front = await startNginx(dir, (stop) => stops.push(stop), 'front', (port) => `upstream up { server 127.0.0.1:${up.port}; keepalive 256; }
  http2_max_concurrent_streams 128;
  server { listen 127.0.0.1:${port} http2; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:${nginxTlsPort} ssl http2; ssl_certificate ${dir}/web.pem; ssl_certificate_key ${dir}/web.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`);
    const nginxFront: Front = {
      authority: 'web.local',
      url: (scheme) => `${scheme}://127.0.0.1:${scheme === 'https' ? nginxTlsPort : front.port}/`,
      pids: () => [front.pid, ...childrenOf(front.pid)],
    };

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
endpoints: [{address: 127.0.0.1, port: ${up.port}}]
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
---
kind: Cluster
name: web-h2c
protocol: H2C
endpoints: [{address: 127.0.0.1, port: ${upH2cPort}}]
---
kind: Route
name: web-h2c
hosts: ["web-h2c.local"]
match: {pathPrefix: /}
forward: {cluster: web-h2c}
`,
    );
    const profile = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']];
    const sluice = spawnGuarded(process.execPath, [...profile, fileURLToPath(import.meta.url), '--serve', config], { stdio: ['ignore', 'pipe', 'inherit'] });
    stops.push(() => stopChild(sluice, 5000));
    const ports = await new Promise<Record<string, number>>((resolve) => sluice.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as Record<string, number>)));
    const sluiceFront: Front = {
      authority: 'web.local',
      url: (scheme) => `${scheme}://127.0.0.1:${scheme === 'https' ? ports['tls'] : ports['plain']}/`,
      pids: () => [sluice.pid!],
    };
    const sluiceH2cUpstream: Front = { ...sluiceFront, authority: 'web-h2c.local' };

    const n = Number(values.requests);
    const fronts = { nginx: nginxFront, sluice: sluiceFront, 'sluice-h2c-upstream': sluiceH2cUpstream };
    const rows: Record<string, LoadResult[]> = {};
    for (const scheme of ['https', 'http'] as const) {
      // Warm-up, then interleaved rounds; medians.
      for (const f of Object.values(fronts)) await h2load(f, scheme, 5000);
      for (let round = 0; round < 3; round++) {
        for (const [name, f] of Object.entries(fronts)) (rows[`${name} ${scheme}`] ??= []).push(await h2load(f, scheme, n));
      }
    }
    const med = (key: string, field: keyof LoadResult): number => median(rows[key]!.map((r) => r[field]));
    console.log(`\nh2load -n ${n} -c ${CONNECTIONS} -m ${values.streams} to an nginx upstream (HTTP/1.1 unless named); each front one process; medians of 3 rounds\n`);
    console.log('| front | TLS req/s | ÷ nginx | TLS CPU µs/req | ÷ nginx | h2c req/s | ÷ nginx | h2c CPU µs/req | ÷ nginx |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, label] of [['nginx', 'nginx (1 worker)'], ['sluice', 'Sluice (1 process)'], ['sluice-h2c-upstream', 'Sluice, h2c upstream']] as const) {
      const cells: string[] = [label];
      for (const scheme of ['https', 'http']) {
        cells.push(med(`${name} ${scheme}`, 'rps').toFixed(0), (med(`${name} ${scheme}`, 'rps') / med(`nginx ${scheme}`, 'rps')).toFixed(2));
        cells.push(med(`${name} ${scheme}`, 'cpuUsPerReq').toFixed(1), (med(`${name} ${scheme}`, 'cpuUsPerReq') / med(`nginx ${scheme}`, 'cpuUsPerReq')).toFixed(2));
      }
      console.log(`| ${cells.join(' | ')} |`);
    }

    // Direct and through Sluice take turns, each going first in every other round: one sample each
    // swings by a fifth on this shared machine, and whichever ran second met a warmer client.
    const calls = Number(values.calls);
    const grpcRounds = Number(values['grpc-rounds']);
    const direct: Array<{ unaryPerSec: number; streamMsgsPerSec: number }> = [];
    const proxied: Array<{ unaryPerSec: number; streamMsgsPerSec: number }> = [];
    for (let round = 0; round < grpcRounds; round++) {
      const legs = [() => grpcBench(`127.0.0.1:${grpcPort}`, calls).then((r) => direct.push(r)), () => grpcBench(`127.0.0.1:${ports['plain']}`, calls).then((r) => proxied.push(r))];
      if (round % 2 === 1) legs.reverse();
      for (const leg of legs) await leg();
    }
    const ratio = (field: 'unaryPerSec' | 'streamMsgsPerSec') => median(proxied.map((p, i) => p[field] / direct[i]![field]));
    const medianOf = (xs: typeof direct, field: 'unaryPerSec' | 'streamMsgsPerSec') => median(xs.map((x) => x[field])).toFixed(0);
    console.log(`\n@grpc/grpc-js, ${calls} unary calls (50 in flight), one server stream of ${calls * 5} messages; medians of ${grpcRounds} rounds (÷ direct: median of each round's ratio)\n`);
    console.log('| path | unary calls/s | ÷ direct | stream msgs/s | ÷ direct |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(`| direct | ${medianOf(direct, 'unaryPerSec')} | 1.00 | ${medianOf(direct, 'streamMsgsPerSec')} | 1.00 |`);
    console.log(`| through Sluice (h2c both sides) | ${medianOf(proxied, 'unaryPerSec')} | ${ratio('unaryPerSec').toFixed(2)} | ${medianOf(proxied, 'streamMsgsPerSec')} | ${ratio('streamMsgsPerSec').toFixed(2)} |`);
    console.log(`unary ÷ direct per round: ${proxied.map((p, i) => (p.unaryPerSec / direct[i]!.unaryPerSec).toFixed(2)).join(', ')}`);
    server.forceShutdown();
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
