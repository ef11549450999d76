// An HTTP/1.1 upstream for the zero-drop scenario that counts what the proxies do to it: new TCP
// connections and requests (upstream connection reuse = 1 − connections / requests), and answers
// with the SHA-256 of the body it read, so a large upload cut or altered on the way shows.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CountingUpstream {
  readonly name: string;
  readonly port: number;
  /** TCP connections accepted. */
  readonly connections: () => number;
  /** Requests answered (responses finished). */
  readonly requests: () => number;
  /** Requests whose connection closed before their response was finished. */
  readonly aborted: () => number;
  /** What the first cut requests were: method, path, headers of note, when. */
  readonly abortedSamples: string[];
  /** Requests being handled now. */
  readonly inFlight: () => number;
  close(): Promise<void>;
}

/**
 * Answers every request with `{upstream, bytes, sha256}`. `x-delay-ms: N` holds the answer N ms after
 * the body was read (slow requests that are in flight while the configuration changes). `port` 0: a
 * free one; a given port lets an upstream that was killed come back at the same endpoint.
 */
export async function startCountingUpstream(name: string, port = 0): Promise<CountingUpstream> {
  let connections = 0;
  let requests = 0;
  let aborted = 0;
  let inFlight = 0;
  const abortedSamples: string[] = [];
  const sockets = new Set<Socket>();
  // Never the upstream closing an idle connection during a run: reuse is the proxy's doing alone.
  const server: Server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
    inFlight++;
    let done = false;
    const startedAt = Date.now();
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      inFlight--;
      if (ok) requests++;
      else {
        aborted++;
        if (abortedSamples.length < 5) abortedSamples.push(`${req.method} ${req.headers.host}${req.url} (x-delay-ms ${req.headers['x-delay-ms'] ?? 0}, started ${new Date(startedAt).toISOString()}, cut after ${Date.now() - startedAt} ms, body ${req.complete ? 'complete' : 'incomplete'})`);
      }
    };
    res.once('finish', () => finish(true));
    res.once('close', () => finish(false));
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.once('end', () => {
      const body = JSON.stringify({ upstream: name, bytes, sha256: hash.digest('hex') });
      const delay = Number(req.headers['x-delay-ms'] ?? 0);
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    name,
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    requests: () => requests,
    aborted: () => aborted,
    abortedSamples,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
