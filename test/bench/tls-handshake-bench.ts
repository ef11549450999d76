// New TLS connections per second per core: Sluice's HTTPS listener (--workers 1) against nginx (one
// worker), the same ECDSA P-256 certificate, both pinned to core 0, openssl s_time clients on core 1.
// Two loads: every connection a full handshake (`-new`), and every connection resuming a session from
// a ticket (`-reuse`); TLS 1.3, each connection asking for / (`-www /`: a TLS 1.3 ticket arrives after
// the handshake), which both answer with the same local 200 "ok\n". Each server is charged its own CPU
// time (utime + stime of its process tree from /proc), so the clients' speed does not enter the
// figure. Rounds alternate the servers; medians.
//   npx tsc -p . && flock /tmp/sluice-load.lock node dist/test/bench/tls-handshake-bench.js [--rounds 3] [--seconds 4] [--clients 3]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pinTree } from '../e2e/mtls/support/process-tree.js';
import { freePort } from '../support/free-port.js';
import { startProxyProcess } from '../data-plane/helpers/proxy-process.js';
import { certificateDocument, selfSigned } from '../data-plane/helpers/self-signed-certificate.js';
import { startNginx } from './nginx-config.js';
import { runBench } from './run-bench.js';
import { handshakesPerCpuSecond, type HandshakeRate } from './openssl-handshakes.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '4' }, clients: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-handshake-bench-'));
const cleanups: Array<() => unknown> = [];

type Sample = HandshakeRate;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const cert = selfSigned('ec', 'bench.test', ['bench.test']);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, cert.certChain);
  writeFileSync(keyFile, cert.privateKey);

  const nginx = await startNginx(dir, (stop) => void cleanups.push(stop), 'tls', (port) => `server { listen 127.0.0.1:${port} ssl; ssl_certificate ${certFile}; ssl_certificate_key ${keyFile};
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on; location / { return 200 "ok\\n"; } }`);
  const sluicePort = await freePort();
  // Both answer the request with the same local 200 "ok\n" (nginx's `return`, Sluice's `respond` route).
  const sluice = await startProxyProcess(
    `${certificateDocument('bench', cert)}---\nkind: Listener\nname: tls\naddress: 127.0.0.1\nport: ${sluicePort}\nprotocol: HTTPS\ntls: {certificates: [bench]}\n` +
      `---\nkind: Route\nname: ok\nhosts: ["*"]\nmatch: {pathPrefix: /}\nrespond: {status: 200, body: "ok\\n"}\n`,
    ['--workers', '1', '--admin-listen', 'off'],
  );
  cleanups.push(() => sluice.stop());
  pinTree(nginx.pid, 0);
  pinTree(sluice.pid, 0);

  const servers = { nginx: { pid: nginx.pid, port: nginx.port }, sluice: { pid: sluice.pid, port: sluicePort } };
  const samples: Record<string, Sample[]> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const load of ['full', 'resumed'] as const) {
      for (const [name, s] of Object.entries(servers)) {
        const sample = await handshakesPerCpuSecond(s.pid, { port: s.port, clients: CLIENTS, core: 1, reuse: load === 'resumed', path: '/', seconds: SECONDS });
        (samples[`${name} ${load}`] ??= []).push(sample);
        process.stderr.write(`round ${round} ${name} ${load}: ${sample.perSecond.toFixed(0)}/s, ${sample.perCpuSecond.toFixed(0)} per CPU-second\n`);
      }
    }
  }
  const med = (key: string, f: keyof Sample): number => median(samples[key]!.map((s) => s[f]));
  console.log(`\n${CLIENTS} × openssl s_time -www / for ${SECONDS} s (1 s warm-up) on core 1, each server pinned to core 0; TLS 1.3, ECDSA P-256; ${ROUNDS} alternating rounds, medians\n`);
  console.log('| new TLS connections | nginx per CPU-second | Sluice per CPU-second | Sluice ÷ nginx | nginx per second | Sluice per second |');
  console.log('| --- | --: | --: | --: | --: | --: |');
  for (const load of ['full', 'resumed'] as const) {
    const n = med(`nginx ${load}`, 'perCpuSecond');
    const s = med(`sluice ${load}`, 'perCpuSecond');
    const label = load === 'full' ? 'full handshake (`-new`)' : 'resumed from a ticket (`-reuse`)';
    console.log(`| ${label} | ${n.toFixed(0)} | ${s.toFixed(0)} | ${(s / n).toFixed(2)} | ${med(`nginx ${load}`, 'perSecond').toFixed(0)} | ${med(`sluice ${load}`, 'perSecond').toFixed(0)} |`);
  }
}

await runBench(dir, cleanups, main);
