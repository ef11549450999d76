// TLS handshake load from `openssl s_time`: with `-new` every connection a full handshake (presenting a
// client certificate when given), with `-reuse` every connection after each client's first resumes its
// session; several clients in parallel pinned to one core. What a benchmark
// charges the server for them is its own CPU time, so the client's speed does not enter the figure.
import { spawn } from 'node:child_process';
import { cpuSeconds } from '../e2e/mtls/support/process-tree.js';

export interface HandshakeLoad {
  /** Handshakes completed, summed over the clients. */
  readonly handshakes: number;
  readonly wallSeconds: number;
  readonly output: string;
}

export interface HandshakeOptions {
  readonly port: number;
  /** The client certificate to present (mutual TLS); none when undefined. */
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly caFile?: string;
  /** Resume the session of each client's first connection (`-reuse`) rather than `-new`. */
  readonly reuse?: boolean;
  /** Ask for this path on each connection (`-www`): a TLS 1.3 ticket arrives only after the handshake. */
  readonly path?: string;
  readonly seconds: number;
  readonly clients: number;
  /** The core the clients run on. */
  readonly core: number;
}

export async function opensslHandshakes(o: HandshakeOptions): Promise<HandshakeLoad> {
  const started = process.hrtime.bigint();
  const outputs = await Promise.all(Array.from({ length: o.clients }, () => new Promise<string>((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(o.core), 'openssl', 's_time', '-connect', `127.0.0.1:${o.port}`, ...handshakeArgs(o), '-time', String(o.seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
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

function handshakeArgs(o: HandshakeOptions): string[] {
  return [
    o.reuse === true ? '-reuse' : '-new',
    ...(o.certFile === undefined ? [] : ['-cert', o.certFile, '-key', o.keyFile!]),
    ...(o.caFile === undefined ? [] : ['-CAfile', o.caFile]),
    ...(o.path === undefined ? [] : ['-www', o.path]),
  ];
}

export interface HandshakeRate {
  readonly perSecond: number;
  /** Handshakes per second of the server's own CPU time (its process tree's utime + stime). */
  readonly perCpuSecond: number;
}

/** A 1-second warm-up, then `o.seconds` of load against the server whose tree is `serverPid`. */
export async function handshakesPerCpuSecond(serverPid: number, o: HandshakeOptions): Promise<HandshakeRate> {
  await opensslHandshakes({ ...o, seconds: 1 });
  const cpu0 = cpuSeconds(serverPid);
  const r = await opensslHandshakes(o);
  const cpu = cpuSeconds(serverPid) - cpu0;
  if (r.handshakes === 0) throw new Error(`no handshake completed:\n${r.output}`);
  return { perSecond: r.handshakes / r.wallSeconds, perCpuSecond: r.handshakes / cpu };
}
