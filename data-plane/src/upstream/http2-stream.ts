// One request on a pooled HTTP/2 session: the UpstreamConnection of an HTTP/2 upstream. Aborting it
// cancels the stream (RST_STREAM CANCEL), not the session its neighbours share.
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { HeaderList } from '../protocols/header-list.js';
import { isValidField } from '../protocols/http2/codec/field-name.js';
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
  /** `session` has a slot reserved for this exchange or its open stream (given back exactly once). */
  private holdsSlot = true;
  /** The request head as sent, and its body so far while it may have to be sent again. */
  private fields: string[] | undefined;
  private bodyless = false;
  private headRequest = false;
  private kept: Buffer[] | undefined = [];
  private keptBytes = 0;
  private bodyEnded = false;
  private replays = 0;
  /** Why the last stream was refused, while the exchange waits for another. */
  private refusal: ProxyError | undefined;
  /** writeBody returned false and onRequestDrain has not followed yet. */
  private drainOwed = false;
  /** The response's Content-Length (-1: none), and the body bytes counted against it. */
  private expectedBytes = -1;
  private receivedBytes = 0;

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
    this.headRequest = request.method === 'HEAD';
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
    if (stream === undefined) {
      // Waiting for a stream after a refusal: the body is kept for it, or, too long to keep, the
      // refusal is the answer.
      if (this.refusal !== undefined && this.kept === undefined) this.fail(this.refusal);
      return true;
    }
    const ok = this.session.writeBody(stream, chunk);
    if (!ok) this.drainOwed = true;
    return ok;
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
    // No stream (aborted before send(), or after send() failed to open one): the slot goes back now.
    else this.giveSlotBack();
  }

  // ---- StreamEvents ----

  onHeaders(fields: string[], endStream: boolean): void {
    if (this.done) return;
    const headers = headerListOf(fields);
    if (headers === undefined) return this.fail(protocolError('a malformed header field'));
    if (this.headSeen) {
      // After the head, only trailers (ending the stream) may come.
      if (!endStream) return this.fail(protocolError('a second header block that does not end the stream'));
      this.trailers = headers;
      return;
    }
    let statusText = '';
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === ':status') statusText = fields[i + 1]!;
    const status = /^[1-9][0-9][0-9]$/.test(statusText) ? Number(statusText) : 0;
    if (status === 0) return this.fail(protocolError('no valid :status'));
    // Informational heads (100 Continue, 103 Early Hints) are not the response.
    if (status < 200) {
      if (endStream) return this.fail(protocolError('an informational head that ends the stream'));
      return;
    }
    this.headSeen = true;
    this.kept = undefined;
    const length = headers.getAll('content-length');
    if (length.length > 0) {
      // One value, or repeats of one value (RFC 9110 §8.6); a body after HEAD, 204 or 304 has none.
      if (!/^[0-9]{1,15}$/.test(length[0]!) || length.some((v) => v !== length[0])) return this.fail(protocolError('an invalid content-length'));
      if (!this.headRequest && status !== 204 && status !== 304) this.expectedBytes = Number(length[0]);
    }
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
    if (!this.headSeen) {
      this.fail(protocolError('DATA before the response head'));
      return true;
    }
    // More than Content-Length said would reach an HTTP/1.1 client as the start of another response.
    this.receivedBytes += chunk.length;
    if (this.expectedBytes >= 0 && this.receivedBytes > this.expectedBytes) {
      this.fail(protocolError(`more body than its content-length of ${this.expectedBytes}`));
      return true;
    }
    return this.handler!.onResponseData(chunk, OWN_BYTES);
  }

  onEnd(): void {
    if (this.done) return;
    if (!this.headSeen) return this.fail(protocolError('the stream ended without a response head'));
    if (this.expectedBytes >= 0 && this.receivedBytes !== this.expectedBytes) return this.fail(protocolError(`${this.receivedBytes} body bytes against a content-length of ${this.expectedBytes}`));
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
    this.refusal = error;
    const slot = this.slots.slot();
    if (slot instanceof Promise) slot.then((session) => this.slotArrived(session), (err: ProxyError) => this.fail(err));
    else this.slotArrived(slot);
  }

  onWritable(): void {
    this.drainOwed = false;
    if (!this.done) this.handler?.onRequestDrain();
  }

  onClosed(): void {
    this.holdsSlot = false;
  }

  /** A new slot for a refused exchange: open there, unless the exchange ended meanwhile. */
  private slotArrived(session: Http2ClientSession): void {
    this.session = session;
    this.holdsSlot = true;
    if (this.done) return this.giveSlotBack();
    this.refusal = undefined;
    this.openOn(session);
  }

  /** Opens the stream in `session`'s slot and sends what the exchange has so far. */
  private openOn(session: Http2ClientSession): void {
    const stream = session.open(this.fields!, this.bodyless, this);
    if (stream === undefined) {
      // open() gave the slot back: the session closed or got GOAWAY since the slot was reserved.
      // Nothing was sent, so this is a refusal like any other: another slot is asked for.
      this.holdsSlot = false;
      this.onRefused(new ProxyError(ProxyErrorCode.UpstreamReset, 'the HTTP/2 session closed before the stream could open', { retryable: true }));
      return;
    }
    this.stream = stream;
    if (this.replays === 0) return;
    let ok = true;
    for (const chunk of this.kept ?? []) ok = session.writeBody(stream, chunk);
    if (this.bodyEnded && !this.bodyless) session.endBody(stream);
    // The caller was told to wait for a drain before the refusal: it comes now, or from the session.
    if (this.drainOwed && ok) this.onWritable();
  }

  private giveSlotBack(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    this.session.unreserve();
  }

  private fail(error: ProxyError): void {
    if (this.done) return;
    this.done = true;
    if (this.stream !== undefined) this.session.cancel(this.stream);
    this.handler?.onError(error);
  }
}

function protocolError(what: string): ProxyError {
  return new ProxyError(ProxyErrorCode.UpstreamProtocol, `HTTP/2 upstream response with ${what}`);
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
    if (!isValidField(name, value)) return undefined;
    out.push(name, value);
  }
  return new HeaderList(out);
}
