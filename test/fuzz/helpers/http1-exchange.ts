// Plays one generated case over a raw TCP connection: writes its bytes (in pieces), waits for the
// answers a well-formed request is owed, half-closes, and collects everything until the server closes.
import { connect } from 'node:net';
import { caseBytes, expectsAnswers, type Http1Case } from './http1-requests.js';
import { readResponses } from './http1-responses.js';

export interface Exchange {
  readonly bytes: Buffer;
  /** How the connection ended: the server closed it, reset it, or never did (within the bound). */
  readonly end: 'closed' | 'reset' | 'open';
  /** Well-formed requests were not all answered before the client's FIN, within the bound. */
  readonly unanswered: boolean;
  readonly ms: number;
}

export interface ExchangeBounds {
  /** How long well-formed requests may take to be answered. */
  readonly answerWithinMs: number;
  /** How long the server may keep the connection after the client's FIN. */
  readonly closeWithinMs: number;
}

export async function exchange(port: number, c: Http1Case, bounds: ExchangeBounds): Promise<Exchange> {
  const started = performance.now();
  const bytes = caseBytes(c);
  const methods = c.requests.map((r) => r.method);
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  let end: Exchange['end'] = 'open';
  let wake: (() => void) | undefined;
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      if (end === 'open') end = 'closed';
      resolve();
      wake?.();
    });
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') end = 'reset';
  });
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const cuts = [...new Set(c.splits.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from && socket.writable) {
      socket.write(bytes.subarray(from, cut));
      from = cut;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  let unanswered = false;
  if (expectsAnswers(c)) {
    const deadline = performance.now() + bounds.answerWithinMs;
    const answered = (): boolean => end !== 'open' || readResponses(Buffer.concat(chunks), methods, false).statuses.length >= c.requests.length;
    while (!answered() && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    unanswered = !answered();
  }
  if (end === 'open') socket.end();
  const timer = new Promise<void>((resolve) => setTimeout(resolve, bounds.closeWithinMs).unref());
  await Promise.race([closed, timer]);
  wake = undefined;
  if (end === 'open') socket.destroy();
  return { bytes: Buffer.concat(chunks), end, unanswered, ms: Math.round(performance.now() - started) };
}
