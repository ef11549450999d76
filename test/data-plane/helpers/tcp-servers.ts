// Raw TCP servers and clients for the TCP listener tests, on 127.0.0.1 port 0: an upstream whose
// handler gets each half-open socket, a client that sends a payload and collects the answer, and a
// port whose accept queue is full (connects to it hang: the connect-timeout case).
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { spawnGuarded, stopChild } from '../../support/process-guard.js';

export interface TcpUpstream {
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A half-open TCP server: `handler` gets each connection (default: echo everything, FIN included). */
export async function startTcpUpstream(handler: (socket: Socket) => void = (s) => s.pipe(s)): Promise<TcpUpstream> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    handler(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a client got back before the connection closed. */
export interface Exchange {
  readonly bytes: number;
  readonly sha256: string;
  readonly text: string;
  /** The server's FIN arrived (a clean end), not only a reset. */
  readonly ended: boolean;
}

/**
 * Connects to `port`, writes `payload` (then FIN unless `keepOpen`), and resolves with what came back
 * once the connection closed; rejects after `timeoutMs`.
 */
export function exchange(port: number, payload: Buffer, timeoutMs = 20_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const hash = createHash('sha256');
    let bytes = 0;
    let ended = false;
    const head: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`exchange with ${port} did not finish in ${timeoutMs} ms (${bytes} bytes back)`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      bytes += d.length;
      hash.update(d);
      if (head.length < 16) head.push(d);
    });
    socket.on('end', () => {
      ended = true;
      socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, sha256: hash.digest('hex'), text: Buffer.concat(head).subarray(0, 200).toString(), ended });
    });
    socket.end(payload);
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A port whose accept queue is full: connects to it neither succeed nor fail (SYNs are dropped). */
export async function startBlackHole(): Promise<{ port: number; close(): Promise<void> }> {
  // Python's socket never accept()s: listen(0) queues one connection, the test fills it, the rest hang.
  const child = spawnGuarded('python3', ['-c', "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)"]);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('python3 listener did not start')), 10_000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(String(d).trim()));
    });
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise<void>((resolve) => fillers[0]!.once('connect', () => resolve()));
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      await stopChild(child);
    },
  };
}
