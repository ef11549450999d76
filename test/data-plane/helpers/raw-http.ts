// Raw bytes to a server, and everything it sends back until it closes (or a time limit passes).
import { connect } from 'node:net';

export interface RawResult {
  readonly text: string;
  /** The server closed the connection (rather than the time limit ending the wait). */
  readonly closed: boolean;
  readonly status: number;
}

/** Pieces given as an array are written this far apart (a head split over reads, say). */
const PIECE_GAP_MS = 50;

export async function rawRequest(port: number, bytes: string | Buffer | ReadonlyArray<string | Buffer>, waitMs = 1000, pauseBeforeEndMs?: number): Promise<RawResult> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ text, closed, status: m === null ? 0 : Number(m[1]) });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      finish();
    });
    const pieces = typeof bytes === 'string' || Buffer.isBuffer(bytes) ? [bytes] : bytes;
    pieces.forEach((piece, i) => (i === 0 ? socket.write(piece) : setTimeout(() => socket.write(piece), i * PIECE_GAP_MS)));
    if (pauseBeforeEndMs !== undefined) setTimeout(() => socket.end(), pauseBeforeEndMs);
  });
}
