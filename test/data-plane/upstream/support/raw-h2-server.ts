// A raw HTTP/2 frame server for the HTTP/2 upstream codec's tests: it accepts on 127.0.0.1, checks
// the client preface, parses every frame the client sends, and lets a test write whatever frames it
// wants, well-formed or not, built with the codec's own frame-writer helpers or by hand (rawFrame).
// Each connection has its own HpackEncoder for response HEADERS. Nothing is answered on its own, not
// even SETTINGS: the test says when the session becomes ready. Also here: a recording ExchangeHandler,
// pool options and requests for Http2SessionPool, and bounded waits so that a hang fails fast.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ProxyErrorCode, type ProxyError } from '../../../../data-plane/src/errors.js';
import { HeaderList } from '../../../../data-plane/src/protocols/header-list.js';
import type { ResponseHead } from '../../../../data-plane/src/protocols/http1/response-head.js';
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_BYTES, FrameFlag, FrameType } from '../../../../data-plane/src/protocols/http2/codec/frame.js';
import { dataFrame, headerFrames } from '../../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { HpackDecoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-encoder.js';
import { DEFAULT_POOL_OPTIONS } from '../../../../data-plane/src/upstream/connection-pool.js';
import { Http2SessionPool, type Http2PoolOptions } from '../../../../data-plane/src/upstream/http2-session-pool.js';
import type { TestContext } from 'node:test';
import type { ExchangeHandler, UpstreamRequest } from '../../../../data-plane/src/upstream/upstream-client.js';

export { delay };

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** Any frame, built by hand: a 9-byte header and the payload as given (no check at all). */
export function rawFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** One DATA frame with the whole payload. */
export function data(streamId: number, payload: Buffer | string, endStream = false): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return dataFrame(streamId, bytes, 0, bytes.length, endStream);
}

/** One accepted connection, after the client preface. */
export class RawH2Connection {
  /** Every frame the client sent, in order. */
  readonly frames: RawFrame[] = [];
  /** HPACK state for this connection's response header blocks. */
  readonly encoder = new HpackEncoder();
  /** Each request header block the client sent, decoded (names and values, flat), by stream id. */
  readonly requestHeaders = new Map<number, string[]>();
  private readonly decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20, maxHeaderCount: 10_000, errorCode: ProxyErrorCode.BadRequest });
  private block: { streamId: number; fragments: Buffer[] } | undefined;
  /** The socket closed (either side). */
  closed = false;
  /** Something other than the HTTP/2 client preface came first. */
  badPreface = false;
  private readonly listeners: Array<(frame: RawFrame) => void> = [];
  private readonly closeListeners: Array<() => void> = [];
  private buffered: Buffer = Buffer.alloc(0);
  private prefaceRead = false;

  constructor(readonly socket: Socket, readonly index: number) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const fn of this.closeListeners.splice(0)) fn();
    });
  }

  /** Called with each frame the client sends from now on. */
  onFrame(fn: (frame: RawFrame) => void): void {
    this.listeners.push(fn);
  }

  /** Writes frames as one segment (frames in one write arrive in one read on loopback, usually). */
  write(...frames: Buffer[]): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  /**
   * A response header block as HEADERS (+ CONTINUATION past the default frame size), encoded with this
   * connection's HpackEncoder: `fields` as a flat list of names and values, `:status` first.
   */
  headers(streamId: number, fields: string[], endStream = false): Buffer {
    return headerFrames(streamId, this.encoder.encode(fields), endStream, DEFAULT_MAX_FRAME_SIZE);
  }

  /** The stream ids of the HEADERS frames the client sent, in order. */
  headersStreams(): number[] {
    return this.frames.filter((f) => f.type === FrameType.HEADERS).map((f) => f.streamId);
  }

  /** The request body the client sent on a stream (DATA payloads, padding not expected). */
  bodyOf(streamId: number): Buffer {
    return Buffer.concat(this.frames.filter((f) => f.type === FrameType.DATA && f.streamId === streamId).map((f) => f.payload));
  }

  /** Whether the client ended its side of the stream (END_STREAM on HEADERS or DATA). */
  ended(streamId: number): boolean {
    return this.frames.some((f) => (f.type === FrameType.HEADERS || f.type === FrameType.DATA) && f.streamId === streamId && (f.flags & FrameFlag.END_STREAM) !== 0);
  }

  /** Resolves when the socket has closed (at once if it has). */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeListeners.push(resolve));
  }

  /** Keeps the decoder in step with the client's encoder; a request's fields land in requestHeaders. */
  private decodeHeaders(frame: RawFrame): void {
    if (frame.type === FrameType.HEADERS) {
      let start = 0;
      let end = frame.payload.length;
      if ((frame.flags & FrameFlag.PADDED) !== 0) {
        start = 1;
        end -= frame.payload[0]!;
      }
      if ((frame.flags & FrameFlag.PRIORITY) !== 0) start += 5;
      this.block = { streamId: frame.streamId, fragments: [frame.payload.subarray(start, end)] };
    } else if (frame.type === FrameType.CONTINUATION && this.block !== undefined) {
      this.block.fragments.push(frame.payload);
    } else return;
    if ((frame.flags & FrameFlag.END_HEADERS) === 0) return;
    const { streamId, fragments } = this.block;
    this.block = undefined;
    this.requestHeaders.set(streamId, this.decoder.decode(Buffer.concat(fragments)));
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (!this.prefaceRead) {
      if (this.buffered.length < CLIENT_PREFACE.length) return;
      if (!this.buffered.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE)) {
        this.badPreface = true;
        this.socket.destroy();
        return;
      }
      this.buffered = this.buffered.subarray(CLIENT_PREFACE.length);
      this.prefaceRead = true;
    }
    while (this.buffered.length >= FRAME_HEADER_BYTES) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < FRAME_HEADER_BYTES + length) break;
      const frame: RawFrame = {
        type: this.buffered[3]!,
        flags: this.buffered[4]!,
        streamId: this.buffered.readUInt32BE(5) & 0x7fff_ffff,
        // A copy: the test may keep it after more data arrives.
        payload: Buffer.from(this.buffered.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length)),
      };
      this.buffered = this.buffered.subarray(FRAME_HEADER_BYTES + length);
      this.frames.push(frame);
      this.decodeHeaders(frame);
      for (const fn of this.listeners) fn(frame);
    }
  }
}

export class RawH2Server {
  /** Every connection accepted, in order. */
  readonly connections: RawH2Connection[] = [];

  private constructor(private readonly server: Server) {}

  /** Listens on 127.0.0.1, port 0; `onConnection` runs for each accepted connection. */
  static async start(onConnection: (conn: RawH2Connection) => void): Promise<RawH2Server> {
    let self: RawH2Server | undefined;
    const server = createServer((socket) => {
      const conn = new RawH2Connection(socket, self!.connections.length);
      self!.connections.push(conn);
      onConnection(conn);
    });
    self = new RawH2Server(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Destroys every accepted socket and stops listening. */
  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Pool options for a test: the defaults, 100 streams per session, a 2 s connect timeout. */
export function poolOptions(overrides: Partial<Http2PoolOptions> = {}): Http2PoolOptions {
  return { ...DEFAULT_POOL_OPTIONS, maxConcurrentStreams: 100, connectTimeoutMs: 2000, ...overrides };
}

/** A pool to `server` (poolOptions with `overrides`); the pool, then the server, close when the test ends. */
export function poolTo(t: TestContext, server: RawH2Server, overrides: Partial<Http2PoolOptions> = {}): Http2SessionPool {
  const pool = new Http2SessionPool('127.0.0.1', server.port, poolOptions(overrides));
  t.after(async () => {
    pool.close();
    await server.close();
  });
  return pool;
}

/** A request: GET without a body, or POST with `bodyLength` bytes (-1: unknown length). */
export function request(bodyLength = 0, method = bodyLength === 0 ? 'GET' : 'POST'): UpstreamRequest {
  return { method, target: '/', headers: new HeaderList(['host', 'upstream.test']), bodyLength };
}

/**
 * An ExchangeHandler that records what it hears: `events` as short strings ('head 200', 'data 10',
 * 'trailers', 'end', 'error <code>', 'drain'), the body bytes, and `settled`, which resolves at the
 * end or the error. `pause(chunk, n)` (n counts chunks from 0) returning true pauses the response.
 */
export class RecordingHandler implements ExchangeHandler {
  readonly events: string[] = [];
  readonly chunks: Buffer[] = [];
  head: ResponseHead | undefined;
  error: ProxyError | undefined;
  ended = false;
  drains = 0;
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor(private readonly pause: (chunk: Buffer, n: number) => boolean = () => false) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }

  onResponseHead(head: ResponseHead): void {
    this.head = head;
    this.events.push(`head ${head.status}`);
  }

  onResponseData(chunk: Buffer): boolean {
    const n = this.chunks.length;
    this.chunks.push(Buffer.from(chunk));
    this.events.push(`data ${chunk.length}`);
    return !this.pause(chunk, n);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.events.push('end');
    this.settle();
  }

  onResponseTrailers(): void {
    this.events.push('trailers');
  }

  onError(error: ProxyError): void {
    this.error = error;
    this.events.push(`error ${error.code}`);
    this.settle();
  }

  onRequestDrain(): void {
    this.drains++;
    this.events.push('drain');
  }
}

/** `promise`, or a rejection naming `what` after `ms`: a hang becomes a quick, readable failure. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 5 ms until it holds; rejects naming `what` after `ms`. */
export async function waitUntil(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await delay(5);
  }
}
