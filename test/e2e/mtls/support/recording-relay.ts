// A TCP relay the test owns, put between the two sidecars: it forwards each connection to a target
// port and keeps what the client side sent (up to a limit per connection), so a test can read the
// bytes on the wire between A and B.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface RecordingRelay {
  readonly port: number;
  /** What the client side sent on each connection so far, in accept order. */
  readonly sent: Buffer[];
  close(): Promise<void>;
}

export async function startRecordingRelay(targetPort: number, keepBytes = 64 * 1024): Promise<RecordingRelay> {
  const sent: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const index = sent.push(Buffer.alloc(0)) - 1;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      if (sent[index]!.length < keepBytes) sent[index] = Buffer.concat([sent[index]!, chunk.subarray(0, keepBytes - sent[index]!.length)]);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
