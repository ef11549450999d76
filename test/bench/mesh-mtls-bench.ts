// What automatic mutual TLS between sidecars costs. Two real `sluice proxy` sidecars following a real
// control plane, with workload certificates: wrk (no rate limit) → A's outbound → B's inbound → nginx.
// 1. CPU per request of the two proxies (utime + stime of each proxy's process tree from /proc,
//    workers included), with the endpoint's `identity` set (mutual TLS; B STRICT, so nothing plain
//    gets through unnoticed) and without it (plain text; B PERMISSIVE), in interleaved rounds.
// 2. TLS handshakes per second per core on B's inbound listener (a new connection each time, a mesh
//    client certificate presented; openssl s_time on core 1, the server pinned to core 0) against
//    nginx terminating the same TLS: an ECDSA P-256 leaf from the mesh CA, client verification on.
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/mesh-mtls-bench.js [--rounds 3] [--duration 5] [--workers 1] [--handshake-seconds 5]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, pinTree } from '../e2e/mtls/support/process-tree.js';
import { peerAuthentication, startTwoSidecars, type TwoSidecars } from '../e2e/mtls/support/two-sidecars.js';
import { workloadCertificateFor } from '../e2e/mtls/support/workload-certificate-for.js';
import { runWrk } from '../e2e/mtls/support/wrk-load.js';
import { median } from './median.js';
import { startNginx } from './nginx-config.js';
import { runBench } from './run-bench.js';
import { handshakesPerCpuSecond, type HandshakeRate } from './openssl-handshakes.js';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '5' }, workers: { type: 'string', default: '1' },
  connections: { type: 'string', default: '32' }, 'handshake-seconds': { type: 'string', default: '5' }, 'handshake-clients': { type: 'string', default: '3' },
} });
const ROUNDS = Number(values.rounds);
const DURATION_S = Number(values.duration);
const WORKERS = Number(values.workers);
const CONNECTIONS = Number(values.connections);
const HANDSHAKE_S = Number(values['handshake-seconds']);
const HANDSHAKE_CLIENTS = Number(values['handshake-clients']);
const dir = mkdtempSync(join(tmpdir(), 'sluice-mtls-bench-'));
const cleanups: Array<() => unknown> = [];
const cleanup = (f: () => unknown): void => void cleanups.push(f);

interface Sample { rps: number; failed: number; aUs: number; bUs: number }

async function measure(mesh: TwoSidecars, mode: 'plain' | 'mTLS'): Promise<Sample> {
  const pa = peerAuthentication(mode === 'mTLS' ? 'STRICT' : 'PERMISSIVE');
  if (mode === 'mTLS') {
    await mesh.setEndpoint(mesh.b.port);
    await mesh.applyToB(pa.yaml, pa.match);
  } else {
    await mesh.applyToB(pa.yaml, pa.match);
    await mesh.setEndpoint(mesh.b.port, '');
  }
  await runWrk(mesh.a.port, { seconds: 1, connections: CONNECTIONS, path: '/small' });
  const [a0, b0] = [cpuSeconds(mesh.a.pid), cpuSeconds(mesh.b.pid)];
  const r = await runWrk(mesh.a.port, { seconds: DURATION_S, connections: CONNECTIONS, path: '/small' });
  const [a1, b1] = [cpuSeconds(mesh.a.pid), cpuSeconds(mesh.b.pid)];
  return { rps: r.requests / r.seconds, failed: r.failed, aUs: ((a1 - a0) * 1e6) / r.requests, bUs: ((b1 - b0) * 1e6) / r.requests };
}

async function handshakesPerCore(serverPid: number, port: number, client: { chainFile: string; keyFile: string; bundleFile: string }): Promise<HandshakeRate> {
  pinTree(serverPid, 0);
  return handshakesPerCpuSecond(serverPid, { port, certFile: client.chainFile, keyFile: client.keyFile, caFile: client.bundleFile, clients: HANDSHAKE_CLIENTS, core: 1, seconds: HANDSHAKE_S });
}

async function main(): Promise<void> {
  const upstream = await startNginx(dir, cleanup, 'upstream', (port) => `server { listen 127.0.0.1:${port}; keepalive_timeout 300s;
    location = /small { default_type text/plain; return 200 "hello world\\n"; } }`);
  const mesh = await startTwoSidecars(cleanup, { appPort: upstream.port, workers: WORKERS, clusterExtra: 'pool: {maxIdlePerEndpoint: 256}' });

  const samples: Record<'plain' | 'mTLS', Sample[]> = { plain: [], mTLS: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of ['plain', 'mTLS'] as const) {
      const s = await measure(mesh, mode);
      samples[mode].push(s);
      process.stderr.write(`round ${round} ${mode}: ${s.rps.toFixed(0)} req/s, A ${s.aUs.toFixed(1)} + B ${s.bUs.toFixed(1)} µs/req, ${s.failed} failed\n`);
    }
  }

  // Handshakes: B STRICT (a client certificate is required), and nginx with the same kind of certificate.
  const strict = peerAuthentication('STRICT');
  await mesh.applyToB(strict.yaml, strict.match);
  const client = await workloadCertificateFor(mesh.cp, 'bench-client');
  const server = await workloadCertificateFor(mesh.cp, 'nginx-tls');
  const nginxTls = await startNginx(dir, cleanup, 'tls', (port) => `server { listen 127.0.0.1:${port} ssl; ssl_certificate ${server.chainFile}; ssl_certificate_key ${server.keyFile};
    ssl_client_certificate ${server.bundleFile}; ssl_verify_client on; location / { return 200 "ok\\n"; } }`);
  const sluiceHs = await handshakesPerCore(mesh.b.pid, mesh.b.port, client);
  const nginxHs = await handshakesPerCore(nginxTls.pid, nginxTls.port, client);

  const med = (mode: 'plain' | 'mTLS', f: keyof Sample) => median(samples[mode].map((s) => s[f]));
  const total = (mode: 'plain' | 'mTLS') => median(samples[mode].map((s) => s.aUs + s.bUs));
  console.log(`\nwrk -t1 -c${CONNECTIONS} -d${DURATION_S}s (1 s warm-up) → A outbound → B inbound → nginx, ${ROUNDS} interleaved rounds, medians; ` +
    `proxies with --workers ${WORKERS}; handshakes: ${HANDSHAKE_CLIENTS} × openssl s_time -new for ${HANDSHAKE_S} s on core 1, server pinned to core 0\n`);
  console.log('| measure | plain | mTLS | mTLS ÷ plain |');
  console.log('| --- | --: | --: | --: |');
  const row = (name: string, p: number, m: number, d = 1) => console.log(`| ${name} | ${p.toFixed(d)} | ${m.toFixed(d)} | ${(m / p).toFixed(2)} |`);
  row('req/s through A and B', med('plain', 'rps'), med('mTLS', 'rps'), 0);
  row('A (outbound) CPU µs/req', med('plain', 'aUs'), med('mTLS', 'aUs'));
  row('B (inbound) CPU µs/req', med('plain', 'bUs'), med('mTLS', 'bUs'));
  row('**A + B CPU µs/req**', total('plain'), total('mTLS'));
  console.log(`| failed requests (all rounds) | ${samples.plain.reduce((n, s) => n + s.failed, 0)} | ${samples.mTLS.reduce((n, s) => n + s.failed, 0)} | |`);
  console.log('\n| TLS handshakes, client certificate verified | per second | per CPU-second (per core) | ÷ nginx |');
  console.log('| --- | --: | --: | --: |');
  console.log(`| nginx (1 worker, ECDSA P-256 leaf from the mesh CA) | ${nginxHs.perSecond.toFixed(0)} | ${nginxHs.perCpuSecond.toFixed(0)} | 1.00 |`);
  console.log(`| Sluice B inbound, STRICT (--workers ${WORKERS}) | ${sluiceHs.perSecond.toFixed(0)} | ${sluiceHs.perCpuSecond.toFixed(0)} | ${(sluiceHs.perCpuSecond / nginxHs.perCpuSecond).toFixed(2)} |`);
}

await runBench(dir, cleanups, main);
