// One request on a pooled HTTP/2 session: the UpstreamConnection of an HTTP/2 upstream. Aborting it
// cancels the stream (RST_STREAM CANCEL), not the session its neighbours share.
import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader, type OutgoingHttpHeaders } from 'node:http2';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { HeaderList } from '../protocols/header-list.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';
import { OWN_BYTES } from './read-buffer-pool.js';
import type { ExchangeHandler, UpstreamConnection, UpstreamRequest } from './upstream-client.js';

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2); `te` passes only as `trailers`. */
const FORBIDDEN = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'content-length']);

export interface Http2StreamOwner {
  readonly session: ClientHttp2Session;
  readonly scheme: 'http' | 'https';
  /** Called once when the stream closes, however it ends. */
  streamClosed(): void;
}

export class Http2Stream implements UpstreamConnection {
  private stream: ClientHttp2Stream | undefined;
  private handler: ExchangeHandler | undefined;
  private done = false;
  private trailers: HeaderList | undefined;
  /** The owner heard streamClosed() for this exchange (exactly once, however it ends). */
  private released = false;

  constructor(private readonly owner: Http2StreamOwner, readonly reuseCount: number) {}

  send(request: UpstreamRequest, handler: ExchangeHandler): void {
    this.handler = handler;
    const headers: OutgoingHttpHeaders = { ':method': request.method, ':path': request.target, ':scheme': this.owner.scheme };
    const raw = request.headers.raw;
    let grpc = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      if (name === 'host') {
        headers[':authority'] = value;
        continue;
      }
      if (FORBIDDEN.has(name)) continue;
      if (name === 'content-type' && value.startsWith('application/grpc')) grpc = true;
      const prev = headers[name];
      headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    }
    // gRPC servers require it (PROTOCOL-HTTP2.md); HTTP/1.1 clients' own `te` is hop-by-hop.
    if (grpc) headers['te'] = 'trailers';
    if (request.bodyLength > 0) headers['content-length'] = String(request.bodyLength);
    let stream: ClientHttp2Stream;
    try {
      stream = this.owner.session.request(headers, { endStream: request.bodyLength === 0 });
    } catch (err) {
      this.release();
      this.fail(new ProxyError(ProxyErrorCode.UpstreamReset, `HTTP/2 session cannot open a stream: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.stream = stream;
    stream.on('response', (h: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number, raw: string[]) => this.onResponse(h, flags, raw));
    stream.on('data', (chunk: Buffer) => {
      if (!this.done && !handler.onResponseData(chunk, OWN_BYTES)) stream.pause();
    });
    stream.on('trailers', (_t: IncomingHttpHeaders, _flags: number, raw: string[]) => (this.trailers = headerListOf(raw)));
    stream.on('end', () => {
      if (this.done) return;
      this.done = true;
      if (this.trailers !== undefined) handler.onResponseTrailers?.(this.trailers);
      handler.onResponseEnd();
    });
    stream.on('drain', () => {
      if (!this.done) handler.onRequestDrain();
    });
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(new ProxyError(ProxyErrorCode.UpstreamReset, `HTTP/2 stream failed: ${err.code ?? err.message}`, { cause: err })));
    stream.on('close', () => {
      this.release();
      if (!this.done) this.fail(new ProxyError(ProxyErrorCode.UpstreamReset, `HTTP/2 stream closed before its response ended (code ${stream.rstCode})`));
    });
  }

  writeBody(chunk: Buffer): boolean {
    const stream = this.stream;
    if (stream === undefined || stream.destroyed) return true;
    return stream.write(chunk);
  }

  endBody(): void {
    if (this.stream !== undefined && !this.stream.destroyed) this.stream.end();
  }

  resumeResponse(): void {
    this.stream?.resume();
  }

  abort(): void {
    this.done = true;
    if (this.stream !== undefined && !this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
    // Aborted before send(): no stream will ever close, so the slot the pool counted goes back now.
    else if (this.stream === undefined) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.streamClosed();
  }

  private onResponse(h: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number, raw: string[]): void {
    if (this.done) return;
    const headers = headerListOf(raw);
    // A trailers-only response (gRPC errors) ends the stream with its HEADERS: hand grpc-status and
    // grpc-message on as trailers, so that every downstream sees headers, then trailers.
    if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0 && headers.has('grpc-status')) {
      const t: string[] = [];
      for (const name of ['grpc-status', 'grpc-message', 'grpc-status-details-bin']) {
        const v = headers.get(name);
        if (v !== undefined) {
          t.push(name, v);
          headers.remove(name);
        }
      }
      this.trailers = new HeaderList(t);
    }
    const head: ResponseHead = { status: Number(h[':status']), reason: '', headers, framing: 'close', contentLength: -1, close: false };
    this.handler!.onResponseHead(head);
  }

  private fail(error: ProxyError): void {
    if (this.done) return;
    this.done = true;
    if (this.stream !== undefined && !this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
    this.handler?.onError(error);
  }
}

/**
 * node:http2's raw header array (name, value, ... as received, names lower-case as HTTP/2 requires)
 * as a flat list without pseudo-headers: the received order and repeats, and no header object to walk.
 */
function headerListOf(raw: readonly string[]): HeaderList {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) !== 58 /* : */) out.push(name, raw[i + 1]!);
  }
  return new HeaderList(out);
}
