// TLS handshake load from `openssl s_time -new`: every connection a full handshake presenting a client
// certificate, no session reuse, several clients in parallel pinned to one core. What a benchmark
// charges the server for them is its own CPU time, so the client's speed does not enter the figure.
import { spawn } from 'node:child_process';

export interface HandshakeLoad {
  /** Handshakes completed, summed over the clients. */
  readonly handshakes: number;
  readonly wallSeconds: number;
  readonly output: string;
}

export interface HandshakeOptions {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  readonly seconds: number;
  readonly clients: number;
  /** The core the clients run on. */
  readonly core: number;
}

export async function opensslHandshakes(o: HandshakeOptions): Promise<HandshakeLoad> {
  const started = process.hrtime.bigint();
  const outputs = await Promise.all(Array.from({ length: o.clients }, () => new Promise<string>((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(o.core), 'openssl', 's_time', '-connect', `127.0.0.1:${o.port}`, '-new', '-cert', o.certFile, '-key', o.keyFile, '-CAfile', o.caFile, '-time', String(o.seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  })));
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  let handshakes = 0;
  for (const out of outputs) {
    // "1055 connections in 0.93s; 1134.41 connections/user sec, bytes read 0"
    const m = /(\d+) connections in [\d.]+s;/.exec(out);
    if (m === null) throw new Error(`openssl s_time printed no count:\n${out}`);
    handshakes += Number(m[1]);
  }
  return { handshakes, wallSeconds, output: outputs.join('\n') };
}
