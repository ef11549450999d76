// A TCP relay in front of a port that records what its clients send: tests read the bytes on the wire
// between two sidecars (mesh TLS or not).
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay that records what passes from its clients to `port`; half-open, so each side's FIN passes on alone. */
export async function startRelay(port: number): Promise<{ port: number; bytes: () => Buffer; connections: () => number; drop: () => void; close: () => void }> {
  const seen: Buffer[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => seen.push(d));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    bytes: () => Buffer.concat(seen),
    connections: () => connections,
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
