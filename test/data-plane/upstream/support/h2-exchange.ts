// What the h2-upstream-* tests share: a node:http2 server on 127.0.0.1 port 0 whose sessions are
// torn down after the test, a pool pointed at it, and one exchange through the pool's public seam
// (acquire, send, writeBody/endBody, the ExchangeHandler callbacks) recorded into a promise.
import { createSecureServer, createServer, type Http2SecureServer, type Http2Session, type Http2Server, type IncomingHttpHeaders, type SecureServerOptions, type ServerHttp2Session, type ServerHttp2Stream, type Settings } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { ProxyError } from '../../../../data-plane/src/errors.js';
import { HeaderList } from '../../../../data-plane/src/protocols/header-list.js';
import type { ResponseHead } from '../../../../data-plane/src/protocols/http1/response-head.js';
import { DEFAULT_POOL_OPTIONS } from '../../../../data-plane/src/upstream/connection-pool.js';
import { DEFAULT_MAX_CONCURRENT_STREAMS, Http2SessionPool, type Http2PoolOptions } from '../../../../data-plane/src/upstream/http2-session-pool.js';
import type { BufferLease } from '../../../../data-plane/src/upstream/read-buffer-pool.js';
import type { ExchangeHandler, UpstreamConnection, UpstreamRequest } from '../../../../data-plane/src/upstream/upstream-client.js';

export type StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

export interface H2Server {
  readonly server: Http2Server | Http2SecureServer;
  readonly port: number;
  /** Every session the server accepted, in order. */
  readonly sessions: ServerHttp2Session[];
  /** Resolves with the n-th session (1-based) once the server accepted it. */
  session(n: number): Promise<ServerHttp2Session>;
  /** Destroys the TCP socket under `session` (node's session.socket refuses destroy()): the connection dies, no GOAWAY. */
  killSocket(session: Http2Session): void;
}

export interface H2ServerOptions {
  /** The server's SETTINGS (initialWindowSize, maxConcurrentStreams...). */
  readonly settings?: Settings;
  /** More header fields than node's default 128 a block (maxHeaderListPairs). */
  readonly maxHeaderListPairs?: number;
  /** Serve h2 over TLS (ALPN h2) with these options; unset: h2c. */
  readonly tls?: SecureServerOptions;
}

/**
 * An HTTP/2 server on 127.0.0.1, port 0, that hands each stream to `onStream`. Stream and session
 * errors are swallowed (the tests look at what the client sees); after the test every session is
 * destroyed and the server closed, so a test that fails half-way leaves nothing running.
 */
export async function startH2Server(t: TestContext, onStream: StreamHandler, options: H2ServerOptions = {}): Promise<H2Server> {
  const serverOptions = {
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.maxHeaderListPairs === undefined ? {} : { maxHeaderListPairs: options.maxHeaderListPairs }),
  };
  const server = options.tls === undefined ? createServer(serverOptions) : createSecureServer({ ...options.tls, ...serverOptions, allowHTTP1: false });
  const sessions: ServerHttp2Session[] = [];
  const waiters: Array<{ n: number; resolve: (s: ServerHttp2Session) => void }> = [];
  const sockets: Socket[] = [];
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => sockets.push(socket));
  server.on('session', (s: ServerHttp2Session) => {
    s.on('error', () => {});
    sessions.push(s);
    for (const w of waiters.splice(0)) {
      if (sessions.length >= w.n) w.resolve(sessions[w.n - 1]!);
      else waiters.push(w);
    }
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    stream.on('error', () => {});
    onStream(stream, headers, flags, rawHeaders);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    sessions,
    killSocket: (session) => {
      const port = session.socket.remotePort;
      const socket = sockets.find((s) => s.remotePort === port);
      if (socket === undefined) throw new Error(`no socket from client port ${port}`);
      socket.destroy();
    },
    session: (n) => (sessions.length >= n ? Promise.resolve(sessions[n - 1]!) : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

/** A raw TCP server on 127.0.0.1 port 0 (for upstreams that misbehave below HTTP/2); closed after the test. */
export async function startRawServer(t: TestContext, onSocket: (socket: Socket, n: number) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    onSocket(socket, sockets.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** A pool to 127.0.0.1:port with the default options and `overrides`; closed after the test. */
export function poolTo(t: TestContext, port: number, overrides: Partial<Http2PoolOptions> = {}): Http2SessionPool {
  const pool = new Http2SessionPool('127.0.0.1', port, { ...DEFAULT_POOL_OPTIONS, maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS, ...overrides });
  t.after(() => pool.close());
  return pool;
}

/** An UpstreamRequest; `headers` as flat pairs (name, value, ...), `host` included if wanted. */
export function requestOf(method: string, target: string, headers: string[] = ['host', 'upstream.test'], bodyLength = 0): UpstreamRequest {
  return { method, target, headers: new HeaderList([...headers]), bodyLength };
}

export type ExchangeEvent = 'head' | 'data' | 'trailers' | 'end' | 'error' | 'drain';

/** Everything one exchange's handler heard. */
export interface ExchangeOutcome {
  head: ResponseHead | undefined;
  body: Buffer;
  trailers: HeaderList | undefined;
  ended: boolean;
  error: ProxyError | undefined;
  /** The callbacks in the order they came ('data' once per chunk, 'drain' once per onRequestDrain). */
  events: ExchangeEvent[];
}

/**
 * An ExchangeHandler that records what it hears; `done` resolves at onResponseEnd or onError.
 * `onData` (optional) sees each chunk with the bytes received so far and answers onResponseData.
 */
export class Recorder implements ExchangeHandler {
  readonly outcome: ExchangeOutcome = { head: undefined, body: Buffer.alloc(0), trailers: undefined, ended: false, error: undefined, events: [] };
  readonly done: Promise<ExchangeOutcome>;
  /** Resolves with the response head (rejects never: an error before the head leaves it pending). */
  readonly headSeen: Promise<ResponseHead>;
  received = 0;
  drains = 0;
  onData: ((chunk: Buffer, receivedSoFar: number) => boolean) | undefined;
  private readonly chunks: Buffer[] = [];
  private resolveDone!: (o: ExchangeOutcome) => void;
  private resolveHead!: (h: ResponseHead) => void;
  private drainWaiters: Array<() => void> = [];
  private dataWaiters: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(onData?: (chunk: Buffer, receivedSoFar: number) => boolean) {
    this.onData = onData;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.headSeen = new Promise((resolve) => (this.resolveHead = resolve));
  }

  onResponseHead(head: ResponseHead): void {
    this.outcome.events.push('head');
    this.outcome.head = head;
    this.resolveHead(head);
  }

  onResponseData(chunk: Buffer, lease: BufferLease): boolean {
    this.outcome.events.push('data');
    // The chunk may be a view of a reused read buffer: copy it, the lease is not kept.
    this.chunks.push(Buffer.from(chunk));
    void lease;
    this.received += chunk.length;
    for (const w of this.dataWaiters.filter((w) => this.received >= w.bytes)) {
      this.dataWaiters.splice(this.dataWaiters.indexOf(w), 1);
      w.resolve();
    }
    return this.onData === undefined ? true : this.onData(chunk, this.received);
  }

  onResponseTrailers(trailers: HeaderList): void {
    this.outcome.events.push('trailers');
    this.outcome.trailers = trailers;
  }

  onResponseEnd(): void {
    this.outcome.events.push('end');
    this.outcome.ended = true;
    this.finish();
  }

  onError(error: ProxyError): void {
    this.outcome.events.push('error');
    this.outcome.error = error;
    this.finish();
  }

  onRequestDrain(): void {
    this.outcome.events.push('drain');
    this.drains++;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves at the next onRequestDrain, or when the exchange is over (so an upload stops waiting). */
  nextDrain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      void this.done.then(() => resolve());
    });
  }

  /** Resolves once `bytes` of response body arrived (or the exchange is over). */
  dataReached(bytes: number): Promise<void> {
    if (this.received >= bytes) return Promise.resolve();
    return new Promise((resolve) => {
      this.dataWaiters.push({ bytes, resolve });
      void this.done.then(() => resolve());
    });
  }

  private finish(): void {
    this.outcome.body = Buffer.concat(this.chunks);
    this.resolveDone(this.outcome);
  }
}

/**
 * Writes `body` in `chunkBytes` pieces honouring writeBody's false (waits for onRequestDrain), then
 * ends it. Returns how many writes answered false. Stops early if the exchange ends first.
 */
export async function upload(conn: UpstreamConnection, recorder: Recorder, body: Buffer, chunkBytes = 64 * 1024): Promise<number> {
  let refusals = 0;
  let over = false;
  void recorder.done.then(() => (over = true));
  for (let at = 0; at < body.length && !over; at += chunkBytes) {
    if (!conn.writeBody(body.subarray(at, at + chunkBytes))) {
      refusals++;
      await recorder.nextDrain();
    }
  }
  if (!over) conn.endBody();
  return refusals;
}

/** One whole exchange: acquire, send, upload `body` if given (else none), and the outcome. */
export async function exchange(pool: Http2SessionPool, request: UpstreamRequest, body?: Buffer, recorder = new Recorder()): Promise<ExchangeOutcome> {
  const conn = await pool.acquire();
  conn.send(request, recorder);
  if (body !== undefined) await upload(conn, recorder, body);
  return await recorder.done;
}

/** Acquires; answers the error a rejected acquire gave (a ProxyError) instead of throwing it. */
export async function acquireOrError(pool: Http2SessionPool): Promise<UpstreamConnection | ProxyError> {
  try {
    return await pool.acquire();
  } catch (err) {
    return err as ProxyError;
  }
}

/** The values of `name` in a flat raw header array (node's rawHeaders), in order. */
export function rawValues(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) out.push(raw[i + 1]!);
  return out;
}

/** Resolves when `emitter` emits `event` (its first argument), with no timeout: the test's own bounds it. */
export function once<T = unknown>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (v: T) => resolve(v)));
}

/** Races `p` against `ms`: the value, or 'timeout'. For bounding a wait whose not-ending is the failure. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A short bounded wait, for asserting that something does NOT happen. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Server streams as they arrive, for tests that answer them later: `next()` is the next one not yet taken. */
export class StreamQueue {
  readonly all: ServerHttp2Stream[] = [];
  private taken = 0;
  private waiters: Array<() => void> = [];

  private readonly paths = new Map<ServerHttp2Stream, string>();

  readonly push = (stream: ServerHttp2Stream, headers?: IncomingHttpHeaders): void => {
    this.all.push(stream);
    this.paths.set(stream, String(headers?.[':path'] ?? ''));
    for (const w of this.waiters.splice(0)) w();
  };

  /** The stream whose :path is `path`, once it arrived (whether or not next() took it). */
  async byPath(path: string): Promise<ServerHttp2Stream> {
    for (;;) {
      const found = this.all.find((s) => this.paths.get(s) === path);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async next(): Promise<ServerHttp2Stream> {
    while (this.taken >= this.all.length) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.all[this.taken++]!;
  }

  /** Resolves once `n` streams arrived in all. */
  async reached(n: number): Promise<void> {
    while (this.all.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
