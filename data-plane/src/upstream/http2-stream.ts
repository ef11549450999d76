// One request on a pooled HTTP/2 session: the UpstreamConnection of an HTTP/2 upstream. Aborting it
// cancels the stream (RST_STREAM CANCEL), not the session its neighbours share.
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { HeaderList } from '../protocols/header-list.js';
import { BAD_FIELD_VALUE, TCHAR } from '../protocols/http1/field-syntax.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';
import { OWN_BYTES } from './read-buffer-pool.js';
import type { ExchangeHandler, UpstreamConnection, UpstreamRequest } from './upstream-client.js';
import type { ClientStream, Http2ClientSession, StreamEvents } from './http2-client-session.js';

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2); `te` passes only as `trailers`. */
const FORBIDDEN = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'content-length']);

/**
 * Request body kept until the response head, so that a stream the server refused unprocessed can be
 * sent again; a longer body is not kept, and its refusal fails the exchange (retryable).
 */
const REPLAY_BODY_BYTES = 64 * 1024;
/** Times one exchange is sent again after refusals before the refusal is its answer. */
const MAX_REPLAYS = 3;

/** Where a refused exchange gets another stream slot: the pool, on any of its sessions. */
export interface StreamSlots {
  /** A session with a stream slot reserved for the caller (reserve() done), now or once one opens. */
  slot(): Http2ClientSession | Promise<Http2ClientSession>;
}

/** What a trailers-only response (gRPC errors) carries that belongs in trailers. */
const GRPC_STATUS_FIELDS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

export class Http2Stream implements UpstreamConnection, StreamEvents {
  private stream: ClientStream | undefined;
  private handler: ExchangeHandler | undefined;
  private done = false;
  private headSeen = false;
  private trailers: HeaderList | undefined;
  /** The session heard of this exchange's end (its slot went back), however it ends. */
  private released = false;
  /** The request head as sent, and its body so far while it may have to be sent again. */
  private fields: string[] | undefined;
  private bodyless = false;
  private kept: Buffer[] | undefined = [];
  private keptBytes = 0;
  private bodyEnded = false;
  private replays = 0;

  /** `session` has a slot reserved for this exchange. */
  constructor(private session: Http2ClientSession, private readonly slots: StreamSlots, private readonly scheme: 'http' | 'https', readonly reuseCount: number) {}

  send(request: UpstreamRequest, handler: ExchangeHandler): void {
    this.handler = handler;
    // Pseudo-headers first (RFC 9113 §8.3); :authority where HTTP/1.1 had Host.
    const fields: string[] = [':method', request.method, ':scheme', this.scheme, ':path', request.target];
    const raw = request.headers.raw;
    let grpc = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      if (name === 'host') {
        fields.push(':authority', value);
        continue;
      }
      if (FORBIDDEN.has(name)) continue;
      if (name === 'content-type' && value.startsWith('application/grpc')) grpc = true;
      fields.push(name, value);
    }
    // gRPC servers require it (PROTOCOL-HTTP2.md); HTTP/1.1 clients' own `te` is hop-by-hop.
    if (grpc) fields.push('te', 'trailers');
    if (request.bodyLength > 0) fields.push('content-length', String(request.bodyLength));
    this.fields = fields;
    this.bodyless = request.bodyLength === 0;
    if (this.bodyless) this.bodyEnded = true;
    this.openOn(this.session);
  }

  writeBody(chunk: Buffer): boolean {
    if (this.done) return true;
    const kept = this.kept;
    if (kept !== undefined) {
      if (this.keptBytes + chunk.length <= REPLAY_BODY_BYTES) {
        kept.push(chunk);
        this.keptBytes += chunk.length;
      } else this.kept = undefined;
    }
    const stream = this.stream;
    // Between a refusal and the next stream the body is only kept (or, too long to keep, the exchange fails then).
    if (stream === undefined) return true;
    return this.session.writeBody(stream, chunk);
  }

  endBody(): void {
    this.bodyEnded = true;
    if (this.stream !== undefined) this.session.endBody(this.stream);
  }

  resumeResponse(): void {
    if (this.stream !== undefined) this.session.resume(this.stream);
  }

  abort(): void {
    this.done = true;
    if (this.stream !== undefined) this.session.cancel(this.stream);
    // Aborted before send(): no stream will ever close, so the slot goes back now.
    else if (!this.released) {
      this.released = true;
      this.session.unreserve();
    }
  }

  // ---- StreamEvents ----

  onHeaders(fields: string[], endStream: boolean): void {
    if (this.done) return;
    const headers = headerListOf(fields);
    if (headers === undefined) return this.fail(new ProxyError(ProxyErrorCode.UpstreamProtocol, 'HTTP/2 response with a malformed header field'));
    if (this.headSeen) {
      this.trailers = headers;
      return;
    }
    let status = 0;
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === ':status') status = Number(fields[i + 1]);
    if (!(status >= 100 && status <= 999)) return this.fail(new ProxyError(ProxyErrorCode.UpstreamProtocol, 'HTTP/2 response without a valid :status'));
    // Informational heads (100 Continue, 103 Early Hints) are not the response.
    if (status < 200 && !endStream) return;
    this.headSeen = true;
    this.kept = undefined;
    // A trailers-only response ends the stream with its HEADERS: hand grpc-status and grpc-message
    // on as trailers, so that every downstream sees headers, then trailers.
    if (endStream && headers.has('grpc-status')) {
      const t: string[] = [];
      for (const name of GRPC_STATUS_FIELDS) {
        const v = headers.get(name);
        if (v !== undefined) {
          t.push(name, v);
          headers.remove(name);
        }
      }
      this.trailers = new HeaderList(t);
    }
    const head: ResponseHead = { status, reason: '', headers, framing: 'close', contentLength: -1, close: false };
    this.handler!.onResponseHead(head);
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    return this.handler!.onResponseData(chunk, OWN_BYTES);
  }

  onEnd(): void {
    if (this.done) return;
    if (!this.headSeen) return this.fail(new ProxyError(ProxyErrorCode.UpstreamProtocol, 'HTTP/2 stream ended without a response head'));
    this.done = true;
    const handler = this.handler!;
    if (this.trailers !== undefined) handler.onResponseTrailers?.(this.trailers);
    handler.onResponseEnd();
  }

  onError(error: ProxyError): void {
    this.fail(error);
  }

  onRefused(error: ProxyError): void {
    this.stream = undefined;
    if (this.done || this.headSeen || this.kept === undefined || this.replays >= MAX_REPLAYS) return this.fail(error);
    this.replays++;
    this.released = false;
    const slot = this.slots.slot();
    if (slot instanceof Promise) slot.then((session) => this.openOn(session), (err: ProxyError) => this.fail(err));
    else this.openOn(slot);
  }

  onWritable(): void {
    if (!this.done) this.handler?.onRequestDrain();
  }

  onClosed(): void {
    this.released = true;
  }

  /** Opens the stream on `session` (its slot reserved) and sends what the exchange has so far. */
  private openOn(session: Http2ClientSession): void {
    this.session = session;
    if (this.done) {
      // Aborted while waiting for the slot.
      this.released = true;
      session.unreserve();
      return;
    }
    const stream = session.open(this.fields!, this.bodyless, this);
    if (stream === undefined) {
      this.released = true;
      this.fail(new ProxyError(ProxyErrorCode.UpstreamReset, 'the HTTP/2 session closed before the stream could open', { retryable: true }));
      return;
    }
    this.stream = stream;
    if (this.replays === 0) return;
    for (const chunk of this.kept!) session.writeBody(stream, chunk);
    if (this.bodyEnded && !this.bodyless) session.endBody(stream);
  }

  private fail(error: ProxyError): void {
    if (this.done) return;
    this.done = true;
    if (this.stream !== undefined) this.session.cancel(this.stream);
    this.handler?.onError(error);
  }
}

/**
 * A decoded header block as a flat list without pseudo-headers, received order and repeats kept; or
 * undefined when a field is malformed (RFC 9113 §8.2.1): HPACK carries any byte, and a name with
 * capitals or a value with CR or LF must not reach an HTTP/1.1 client.
 */
function headerListOf(fields: readonly string[]): HeaderList | undefined {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const value = fields[i + 1]!;
    if (!isLowercaseToken(name) || BAD_FIELD_VALUE.test(value)) return undefined;
    out.push(name, value);
  }
  return new HeaderList(out);
}

function isLowercaseToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0 || (c >= 65 && c <= 90)) return false;
  }
  return true;
}
