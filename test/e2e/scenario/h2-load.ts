// HTTP/2 load (node:http2): paced requests as concurrent streams over one session, cleartext (prior
// knowledge) or TLS with ALPN h2. After a GOAWAY the next requests open a new session, as browsers do;
// a stream the server refused unprocessed (REFUSED_STREAM, or the session already going away) is sent
// again on a new session and counted in `retries`. Anything else is a failure.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { describe, isReset, LaneCounters, paced } from './lane-counters.js';
import { expectJson200, type HttpTarget } from './http1-load.js';

class Sessions {
  private session: ClientHttp2Session | undefined;
  private readonly all = new Set<ClientHttp2Session>();
  /** Each session's local port, read once connected (a closed session no longer knows it). */
  private readonly ports = new WeakMap<ClientHttp2Session, number>();

  constructor(private readonly target: HttpTarget) {}

  get(port: number): ClientHttp2Session {
    const s = this.session;
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const scheme = this.target.tls ? 'https' : 'http';
    const fresh = connect(`${scheme}://${this.target.address}:${port}`, this.target.tls ? { ca: this.target.tls.ca, servername: this.target.tls.servername } : {});
    fresh.on('error', () => {}); // each stream reports its own failure
    fresh.once('connect', (_s, socket) => {
      if (socket.localPort !== undefined) this.ports.set(fresh, socket.localPort);
    });
    // The server is going away: streams it accepted finish, new ones go to a new session.
    fresh.once('goaway', () => {
      if (this.session === fresh) this.session = undefined;
    });
    fresh.once('close', () => {
      this.all.delete(fresh);
      if (this.session === fresh) this.session = undefined;
    });
    this.all.add(fresh);
    this.session = fresh;
    return fresh;
  }

  portOf(session: ClientHttp2Session): number | undefined {
    return this.ports.get(session);
  }

  close(): void {
    for (const s of this.all) s.close();
  }
}

function once(session: ClientHttp2Session, target: HttpTarget): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    let stream;
    try {
      stream = session.request({ ':method': 'GET', ':path': target.path, ':authority': target.hostHeader, ...target.headers });
    } catch (err) {
      return reject(Object.assign(err as Error, { refused: true }));
    }
    stream.setTimeout(30_000, () => stream.close(constants.NGHTTP2_CANCEL));
    let status = 0;
    let headers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    stream.once('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('error', (err: Error) => reject(Object.assign(err, { refused: status === 0 && /REFUSED_STREAM/.test(err.message) })));
    stream.once('close', () => {
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && status === 0) return reject(Object.assign(new Error(`stream closed with code ${stream.rstCode}`), { code: 'ERR_HTTP2_STREAM_ERROR', refused: stream.rstCode === constants.NGHTTP2_REFUSED_STREAM }));
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) return reject(Object.assign(new Error(`stream reset with code ${stream.rstCode} after the response head`), { code: 'ERR_HTTP2_STREAM_ERROR' }));
      resolve({ status, headers, body: Buffer.concat(chunks) });
    });
  });
}

export async function runH2Lane(lane: LaneCounters, target: HttpTarget, options: { perSecond: number; concurrency: number; running: () => boolean }): Promise<void> {
  const sessions = new Sessions(target);
  const step = async (): Promise<void> => {
    const port = target.port();
    if (port === undefined) return;
    lane.started++;
    const startedAt = Date.now();
    let session = sessions.get(port);
    try {
      let answer;
      try {
        answer = await once(session, target);
      } catch (err) {
        if (!(err as { refused?: boolean }).refused) throw err;
        lane.retried(err);
        session = sessions.get(port);
        answer = await once(session, target);
      }
      const attempt = { startedAt, localPort: sessions.portOf(session) };
      const problem = expectJson200({ status: answer.status, headers: answer.headers as never, body: answer.body });
      if (problem === undefined) lane.succeeded(attempt);
      else lane.fail(`h2 ${target.hostHeader}${target.path}: ${problem}`, false, attempt);
    } catch (err) {
      lane.fail(`h2 ${target.hostHeader}${target.path}: ${describe(err)}`, isReset(err), { startedAt, localPort: sessions.portOf(session) });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => paced(options.perSecond / options.concurrency, options.running, step)));
  sessions.close();
}
