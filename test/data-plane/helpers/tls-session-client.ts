// One HTTPS request on a new TLS connection, offering a saved session (a ticket) when given: says
// whether the server resumed it, which ALPN protocol it chose, and hands back the session the server
// issued, to offer on the next connection (as a browser or an HTTP client pool does).
import { connect, type SecureVersion } from 'node:tls';

export interface TlsVisit {
  /** The server resumed the session offered (no certificate, no key exchange with signatures). */
  readonly resumed: boolean;
  readonly alpn: string | false;
  /** The last session ticket the server issued on this connection; undefined if none. */
  readonly session: Buffer | undefined;
  /** The first line of the answer (`HTTP/1.1 404 Not Found`). */
  readonly statusLine: string;
}

export interface TlsVisitOptions {
  readonly session?: Buffer | undefined;
  /** SNI; none when undefined. */
  readonly servername?: string;
  readonly version: SecureVersion;
}

/** Rejects when the handshake or the request fails, or nothing answers within 5 s. */
export function tlsVisit(port: number, o: TlsVisitOptions): Promise<TlsVisit> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    let resumed = false;
    let alpn: string | false = false;
    let answer = '';
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(o.servername === undefined ? {} : { servername: o.servername }),
      ...(o.session === undefined ? {} : { session: o.session }),
      minVersion: o.version,
      maxVersion: o.version,
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 5 s')), 5000);
    socket.on('session', (s: Buffer) => (session = s));
    socket.once('secureConnect', () => {
      resumed = socket.isSessionReused();
      alpn = socket.alpnProtocol ?? false;
      socket.write('GET / HTTP/1.1\r\nHost: tls.test\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    // TLS 1.3 tickets come after the handshake: read to the end so every one has arrived.
    socket.on('end', () => socket.end());
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      const statusLine = answer.split('\r\n')[0] ?? '';
      if (!statusLine.startsWith('HTTP/1.1 ')) return reject(new Error(`no HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`));
      resolve({ resumed, alpn, session, statusLine });
    });
  });
}
