// A TCP proxy in front of one etcd member that can lose the next answer (etcd applied the request,
// the client never hears of it) or the next request, then cuts every connection: what a member dying
// at the wrong moment does to a call. A seam for tests only.
import { connect, createServer, type Server, type Socket } from 'node:net';

type Mode = 'pass' | 'lose-answer' | 'lose-request';

export class LossyProxy {
  private mode: Mode = 'pass';
  private readonly sockets = new Set<Socket>();
  private cutTimer: NodeJS.Timeout | undefined;
  /** Chunks dropped since the proxy started. */
  dropped = 0;

  private constructor(private readonly server: Server, private readonly cutAfterMs: number) {}

  /** Listens on 127.0.0.1:0 and forwards to `targetPort`. */
  static async start(targetPort: number, cutAfterMs = 300): Promise<LossyProxy> {
    const server = createServer();
    const proxy = new LossyProxy(server, cutAfterMs);
    server.on('connection', (client) => proxy.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Whatever etcd sends next is dropped; `cutAfterMs` after the first dropped bytes every connection is cut. */
  loseNextAnswer(): void {
    this.mode = 'lose-answer';
  }

  /** Whatever the client sends next is dropped, then every connection is cut (etcd never sees it). */
  loseNextRequest(): void {
    this.mode = 'lose-request';
  }

  async close(): Promise<void> {
    clearTimeout(this.cutTimer);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => (this.mode === 'lose-request' ? this.drop() : upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => (this.mode === 'lose-answer' ? this.drop() : client.write(chunk)));
  }

  private drop(): void {
    this.dropped++;
    if (this.cutTimer !== undefined) return;
    this.cutTimer = setTimeout(() => {
      this.cutTimer = undefined;
      this.mode = 'pass';
      for (const s of this.sockets) s.destroy();
    }, this.cutAfterMs);
  }
}
