// One keep-alive HTTP/1.1 connection to an upstream, over a plain net.Socket: the head is written as
// one string, the response head is parsed here and the body streamed by Content-Length or chunked.
// Listeners are attached once per socket, not per request (node:http's per-request listener churn is
// a top cost in CPU profiles of the proxy under load).
import type { Socket } from 'node:net';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { ChunkedDecoder } from '../protocols/http1/chunked-decoder.js';
import { parseResponseHead, type BodyFraming } from '../protocols/http1/response-head.js';
import { serializeRequestHead } from '../protocols/http1/request-head.js';
import { COPY_BELOW_BYTES, OWN_BYTES, type ReadBuffer } from './read-buffer-pool.js';
import type { ExchangeHandler, UpstreamConnection, UpstreamRequest } from './upstream-client.js';

/** Response heads larger than this are refused (nginx's default large buffer is 8k; be generous). */
const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** What a connection tells its owner (the pool) when an exchange is over. */
export interface ConnectionOwner {
  release(conn: Http1Connection): void;
  forget(conn: Http1Connection): void;
}

const enum Phase {
  Idle,
  Head,
  Body,
  Done,
  Closed,
}

export class Http1Connection implements UpstreamConnection {
  reuseCount = -1;
  /** Lent out by its pool (serving an exchange), not idle in it. */
  lent = false;
  /** performance.now() when the connection went idle (for the pool's idle timeout). */
  idleSinceMs = 0;
  private phase = Phase.Idle;
  private handler: ExchangeHandler | undefined;
  private method = '';
  private chunkedRequest = false;
  private requestDone = true;
  private headBuf: Buffer | undefined;
  private framing: BodyFraming = 'none';
  private remaining = 0;
  private decoder: ChunkedDecoder | undefined;
  private keepAlive = true;
  /** The read buffer of the read being processed (slices handed out are leased from it). */
  private lease!: ReadBuffer;
  private paused = false;
  private readonly onChunk = (data: Buffer): void => {
    if (!this.handOn(this.handler!, data)) this.pause();
  };

  /** `socket` must have been opened with `onread` calling `onRead` (see connection-pool.ts). */
  constructor(readonly socket: Socket, private readonly owner: ConnectionOwner) {
    socket.setNoDelay(true);
    socket.on('drain', () => this.handler?.onRequestDrain());
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.onClose(err));
    socket.on('close', () => this.onClose(undefined));
  }

  get closed(): boolean {
    return this.phase === Phase.Closed;
  }

  send(request: UpstreamRequest, handler: ExchangeHandler): void {
    this.reuseCount++;
    this.handler = handler;
    this.method = request.method;
    this.phase = Phase.Head;
    this.keepAlive = true;
    this.chunkedRequest = request.bodyLength < 0;
    this.requestDone = request.bodyLength === 0;
    const framing = request.bodyLength > 0 ? `content-length: ${request.bodyLength}\r\n` : request.bodyLength < 0 ? 'transfer-encoding: chunked\r\n' : '';
    this.socket.write(serializeRequestHead(request.method, request.target, request.headers, framing), 'latin1');
  }

  writeBody(chunk: Buffer): boolean {
    if (this.phase === Phase.Closed || chunk.length === 0) return true;
    if (!this.chunkedRequest) return this.socket.write(chunk);
    this.socket.cork();
    this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    this.socket.write(chunk);
    const ok = this.socket.write('\r\n', 'latin1');
    this.socket.uncork();
    return ok;
  }

  endBody(): void {
    if (this.requestDone) return;
    this.requestDone = true;
    if (this.phase === Phase.Closed) return;
    if (this.chunkedRequest) this.socket.write('0\r\n\r\n', 'latin1');
    if (this.phase === Phase.Done) this.finish();
  }

  resumeResponse(): void {
    if (this.phase !== Phase.Closed && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** net's onread callback: `rb` holds `n` new bytes. Returns false to stop reading (backpressure). */
  onRead(rb: ReadBuffer, n: number): boolean {
    this.lease = rb;
    rb.hold();
    this.onData(rb.buf.subarray(0, n));
    rb.release();
    return !this.paused;
  }

  /** A body piece to the handler: small ones copied, so the read buffer goes straight back to the pool. */
  private handOn(handler: ExchangeHandler, chunk: Buffer): boolean {
    return chunk.length < COPY_BELOW_BYTES ? handler.onResponseData(Buffer.from(chunk), OWN_BYTES) : handler.onResponseData(chunk, this.lease);
  }

  private pause(): void {
    this.paused = true;
  }

  abort(): void {
    this.handler = undefined;
    this.destroy();
  }

  /** Closes the connection; the owner forgets it. */
  destroy(): void {
    if (this.phase === Phase.Closed) return;
    this.phase = Phase.Closed;
    this.socket.destroy();
    this.owner.forget(this);
  }

  private onData(chunk: Buffer): void {
    switch (this.phase) {
      case Phase.Head:
        this.onHeadData(chunk);
        return;
      case Phase.Body:
        this.onBodyData(chunk);
        return;
      case Phase.Closed:
        return;
      default:
        // Bytes while idle or after a complete response: the upstream broke framing; never reuse.
        this.fail(ProxyErrorCode.UpstreamProtocol, 'upstream sent data outside of a response');
    }
  }

  private onHeadData(chunk: Buffer): void {
    let buf = chunk;
    let searchFrom = 0;
    if (this.headBuf !== undefined) {
      searchFrom = Math.max(0, this.headBuf.length - 3);
      buf = Buffer.concat([this.headBuf, chunk]);
    }
    for (;;) {
      const end = buf.indexOf(CRLFCRLF, searchFrom);
      if (end < 0) {
        if (buf.length > MAX_RESPONSE_HEAD_BYTES) return this.fail(ProxyErrorCode.UpstreamProtocol, 'response head too large');
        // A copy: `buf` may be a view of a read buffer that is reused for the next read.
        this.headBuf = this.headBuf === undefined ? Buffer.from(buf) : buf;
        return;
      }
      this.headBuf = undefined;
      const parsed = parseResponseHead(buf.toString('latin1', 0, end), this.method);
      if (!parsed.ok) return this.fail(ProxyErrorCode.UpstreamProtocol, `invalid response from upstream: ${parsed.error}`);
      const head = parsed.head;
      const rest = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
      if (head.status < 200) {
        // 100 Continue and other interim answers: the proxy answered the client's Expect itself.
        if (head.status === 101) return this.fail(ProxyErrorCode.UpstreamProtocol, 'upstream switched protocols without being asked');
        if (rest === undefined) return;
        buf = rest;
        searchFrom = 0;
        continue;
      }
      this.framing = head.framing;
      this.keepAlive = !head.close;
      this.phase = Phase.Body;
      if (head.framing === 'length') this.remaining = head.contentLength;
      else if (head.framing === 'chunked') this.decoder = new ChunkedDecoder();
      const handler = this.handler;
      handler?.onResponseHead(head);
      if (this.handler !== handler || this.phase !== Phase.Body) return;
      if (head.framing === 'none' || (head.framing === 'length' && head.contentLength === 0)) {
        if (rest !== undefined) return this.fail(ProxyErrorCode.UpstreamProtocol, 'upstream sent a body where none may be');
        return this.complete();
      }
      if (rest !== undefined) this.onBodyData(rest);
      return;
    }
  }

  private onBodyData(chunk: Buffer): void {
    const handler = this.handler;
    if (handler === undefined) return;
    switch (this.framing) {
      case 'length': {
        if (chunk.length > this.remaining) return this.fail(ProxyErrorCode.UpstreamProtocol, 'upstream sent more than its content-length');
        this.remaining -= chunk.length;
        if (!this.handOn(handler, chunk)) this.pause();
        if (this.remaining === 0 && this.handler === handler) this.complete();
        return;
      }
      case 'chunked': {
        const result = this.decoder!.decode(chunk, this.onChunk);
        if (this.handler !== handler) return;
        if (result === 'error') return this.fail(ProxyErrorCode.UpstreamProtocol, `bad chunked body from upstream: ${this.decoder!.error}`);
        if (result === 'done') {
          if (this.decoder!.leftover !== undefined) this.keepAlive = false;
          this.decoder = undefined;
          this.complete();
        }
        return;
      }
      case 'close':
        if (!this.handOn(handler, chunk)) this.pause();
        return;
      default:
        this.fail(ProxyErrorCode.UpstreamProtocol, 'upstream sent a body where none may be');
    }
  }

  private complete(): void {
    const handler = this.handler;
    this.phase = Phase.Done;
    handler?.onResponseEnd();
    if (this.requestDone && this.phase === Phase.Done) this.finish();
  }

  /** Both directions are over: back to the pool, or closed. */
  private finish(): void {
    this.handler = undefined;
    if (!this.keepAlive || this.socket.destroyed) return this.destroy();
    this.phase = Phase.Idle;
    this.resumeResponse();
    this.owner.release(this);
  }

  private onEnd(): void {
    if (this.phase === Phase.Body && this.framing === 'close') {
      this.keepAlive = false;
      this.complete();
      return;
    }
    this.onClose(undefined);
  }

  private onClose(err: Error | undefined): void {
    if (this.phase === Phase.Closed) return;
    const handler = this.handler;
    const busy = this.phase === Phase.Head || this.phase === Phase.Body;
    this.destroy();
    if (busy && handler !== undefined) {
      const detail = err !== undefined ? `: ${(err as NodeJS.ErrnoException).code ?? err.message}` : '';
      handler.onError(new ProxyError(ProxyErrorCode.UpstreamReset, `upstream closed the connection before the response was complete${detail}`, { cause: err }));
    }
  }

  private fail(code: ProxyErrorCode, message: string): void {
    const handler = this.handler;
    this.handler = undefined;
    this.destroy();
    handler?.onError(new ProxyError(code, message));
  }
}
