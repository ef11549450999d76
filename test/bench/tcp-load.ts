// The TCP bench's load, run as its own process (pinned by the bench), printing one JSON line:
//   bulk  PORT CONNECTIONS MEGABYTES   each connection writes MEGABYTES and reads the echo back
//   conns PORT CONCURRENCY COUNT       COUNT connections, CONCURRENCY at a time: connect, 64 bytes
//                                      each way, close
// node dist/test/bench/tcp-load.js bulk 9000 8 32
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const [mode, portArg, aArg, bArg] = process.argv.slice(2);
const port = Number(portArg);
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const SMALL = Buffer.alloc(64, 0x62);

/** Writes `bytes` with backpressure and reads as many back; resolves with the bytes read. */
function bulkOne(bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    let read = 0;
    let written = 0;
    s.on('data', (d: Buffer) => (read += d.length));
    s.on('end', () => s.end());
    s.on('error', reject);
    s.on('close', () => (read === bytes ? resolve(read) : reject(new Error(`read ${read} of ${bytes}`))));
    const pump = (): void => {
      while (written < bytes) {
        const n = Math.min(CHUNK.length, bytes - written);
        written += n;
        if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    s.once('connect', pump);
  });
}

/** One short connection: connect, 64 bytes out, 64 back, close. */
function shortOne(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    let read = 0;
    s.on('data', (d: Buffer) => {
      read += d.length;
      if (read >= SMALL.length) s.end();
    });
    s.on('error', reject);
    s.on('close', () => (read === SMALL.length ? resolve() : reject(new Error(`read ${read} of ${SMALL.length}`))));
    s.once('connect', () => s.write(SMALL));
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  if (mode === 'bulk') {
    const connections = Number(aArg);
    const bytes = Number(bArg) * 1024 * 1024;
    const read = await Promise.all(Array.from({ length: connections }, () => bulkOne(bytes)));
    // Bytes the proxy carried: each connection's bytes out and back.
    process.stdout.write(`${JSON.stringify({ bytes: 2 * read.reduce((a, b) => a + b, 0), ms: performance.now() - started })}\n`);
  } else if (mode === 'conns') {
    const concurrency = Number(aArg);
    let left = Number(bArg);
    let failed = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await shortOne().catch(() => failed++);
    }));
    process.stdout.write(`${JSON.stringify({ connections: Number(bArg), failed, ms: performance.now() - started })}\n`);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
