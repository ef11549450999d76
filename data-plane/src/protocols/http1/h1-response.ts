// One HTTP/1.1 response written by the proxy's own reader (h1-downstream.ts) straight onto the client
// socket: the members of node:http's ServerResponse that the engine, Session.respond, UpstreamTry,
// TransformedBody, the gRPC answers and the drain use, with node:http's framing rules: Date and
// Connection/Keep-Alive added as node:http adds them, Transfer-Encoding: chunked when no
// Content-Length was given, no body on HEAD, 204, 304 and 1xx, trailers only on chunked bodies, and
// header names and values checked as node:http checks them. The head goes out with the first body
// bytes in one write.
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { BAD_FIELD_VALUE, isToken } from './field-syntax.js';
import { connectionTokens } from './hop-by-hop.js';
import { httpDate } from './http-date.js';

type Listener = (...args: any[]) => void;

/** What the connection learns from its response. */
export interface ResponseOwner {
  /** Every byte of `res` was handed to the socket. */
  finished(res: H1Response): void;
}

const EMPTY = Buffer.alloc(0);
/** Bodies up to this size are written in one string with their head (a copy that costs less than a writev). */
const ONE_STRING_MAX_BYTES = 2048;

/** node:http's own error for a header it will not write (UpstreamTry turns it into a 502). */
function invalidHeader(kind: 'name' | 'value', name: string): TypeError {
  const err = new TypeError(kind === 'name' ? `Header name must be a valid HTTP token ["${name}"]` : `Invalid character in header content ["${name}"]`);
  (err as NodeJS.ErrnoException).code = kind === 'name' ? 'ERR_INVALID_HTTP_TOKEN' : 'ERR_INVALID_CHAR';
  return err;
}

export class H1Response {
  statusCode = 200;
  /** Keep the connection after this response (false: `Connection: close`, then close). */
  shouldKeepAlive: boolean;
  /** The connection closes once this response is written. */
  last = false;
  private head: string | undefined;
  private headWritten = false;
  private hasBody: boolean;
  private chunked = false;
  private ended = false;
  private done = false;
  private closed = false;
  private aborted = false;
  private pending: Map<string, [string, string | number | readonly string[]]> | undefined;
  private trailers: string | undefined;
  private closeListeners: Listener[] | undefined;

  constructor(
    readonly socket: Socket,
    private readonly owner: ResponseOwner,
    method: string,
    /** HTTP/1.1 client: a body of unknown length goes chunked (to HTTP/1.0, it ends with the connection). */
    private readonly chunkedByDefault: boolean,
    keepAlive: boolean,
    /** The server's keepAliveTimeout when the request came (the Keep-Alive header's timeout). */
    private readonly keepAliveTimeoutMs: number,
  ) {
    this.shouldKeepAlive = keepAlive;
    this.hasBody = method !== 'HEAD';
  }

  get headersSent(): boolean {
    return this.head !== undefined;
  }

  /** Nothing more can be sent: the connection closed or is closing (the client half-closed it). */
  get destroyed(): boolean {
    return this.aborted || this.socket.destroyed || this.socket.writableEnded;
  }

  get writableEnded(): boolean {
    return this.ended;
  }

  get writableFinished(): boolean {
    return this.done;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.head !== undefined) throw Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    (this.pending ??= new Map()).set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): string | number | readonly string[] | undefined {
    return this.pending?.get(name.toLowerCase())?.[1];
  }

  /** Status and headers (flat `[name, value, ...]` or a record) on top of those set with setHeader. */
  writeHead(status: number, headers?: readonly string[] | OutgoingHttpHeaders): this {
    if (this.head !== undefined) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    this.statusCode = status;
    const hasBody = this.hasBody && status !== 204 && status !== 304 && (status < 100 || status > 199);
    // Worked out whole before anything is kept: when a field is refused (it throws), the error
    // answer that follows (a 502) is framed as if this head had never been tried.
    const framing = this.framing(this.fields(status, headers), status, hasBody);
    this.hasBody = hasBody;
    this.chunked = framing.chunked;
    this.shouldKeepAlive = framing.keepAlive;
    this.last = framing.last;
    this.head = framing.head;
    return this;
  }

  /** The status line and every field, checked, with what the framing needs to know of them. */
  private fields(status: number, headers: readonly string[] | OutgoingHttpHeaders | undefined): HeadBuilder {
    const out = new HeadBuilder(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`);
    if (headers !== undefined && Array.isArray(headers)) {
      const flat = headers as readonly string[];
      // Fields given here replace those set with setHeader, as on node:http.
      if (this.pending !== undefined) {
        for (let i = 0; i < flat.length; i += 2) this.pending.delete(flat[i]!.toLowerCase());
        for (const [name, value] of this.pending.values()) out.field(name, value);
      }
      for (let i = 0; i < flat.length; i += 2) out.field(flat[i]!, flat[i + 1]!);
    } else {
      const record = headers as OutgoingHttpHeaders | undefined;
      if (this.pending !== undefined) {
        for (const [key, [name, value]] of this.pending) if (record === undefined || !hasField(record, key)) out.field(name, value);
      }
      if (record !== undefined) for (const name in record) if (record[name] !== undefined) out.field(name, record[name]!);
    }
    return out;
  }

  /** `cb` runs once the chunk was handed to the socket (or at once when nothing is written). */
  write(chunk: Buffer | string, cb?: (err?: Error | null) => void): boolean {
    if (this.ended || this.destroyed) {
      if (cb !== undefined) process.nextTick(cb);
      return false;
    }
    if (this.head === undefined) this.writeHead(this.statusCode);
    if (!this.hasBody || chunk.length === 0) {
      if (cb !== undefined) process.nextTick(cb);
      return true;
    }
    return this.send(chunk, cb);
  }

  end(chunk?: Buffer | string): this {
    if (this.ended || this.destroyed) return this;
    if (this.head === undefined) {
      // A whole response in one call: its length is known.
      if (this.hasBody && !this.pending?.has('content-length') && !this.pending?.has('transfer-encoding')) {
        this.setHeader('content-length', chunk === undefined ? 0 : Buffer.byteLength(chunk));
      }
      this.writeHead(this.statusCode);
    }
    this.ended = true;
    const socket = this.socket;
    if (chunk !== undefined && chunk.length > 0 && this.hasBody) {
      if (this.chunked) {
        socket.cork();
        this.send(chunk, undefined);
        socket.write(`0\r\n${this.trailers ?? ''}\r\n`, 'latin1', this.flushed);
        socket.uncork();
      } else this.send(chunk, this.flushed);
      return this;
    }
    if (this.chunked) return this.sendRaw(`0\r\n${this.trailers ?? ''}\r\n`);
    if (!this.headWritten) return this.sendRaw('');
    // Everything was handed to the socket already, or is queued in it: finish after the last of it.
    if (socket.writableLength === 0) process.nextTick(this.flushed);
    else socket.write(EMPTY, this.flushed);
    return this;
  }

  /** Trailers for the end of a chunked body (node:http drops them otherwise). */
  addTrailers(trailers: Readonly<Record<string, string>>): void {
    let out = this.trailers ?? '';
    for (const name in trailers) {
      const value = trailers[name]!;
      if (!isToken(name)) throw invalidHeader('name', name);
      if (BAD_FIELD_VALUE.test(value)) throw invalidHeader('value', name);
      out += `${name}: ${value}\r\n`;
    }
    this.trailers = out;
  }

  /** Cuts the connection: a response that cannot be completed. */
  destroy(err?: Error): void {
    if (!this.socket.destroyed) this.socket.destroy(err);
  }

  // 'close' is the response's own (once, when it was written or can no longer be); the rest ('drain')
  // are the socket's.
  on(event: string, listener: Listener): this {
    if (event === 'close') (this.closeListeners ??= []).push(listener);
    else this.socket.on(event, listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    if (event === 'close') return this.on(event, listener);
    this.socket.once(event, listener);
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    if (event !== 'close') this.socket.removeListener(event, listener);
    else if (this.closeListeners !== undefined) {
      const i = this.closeListeners.indexOf(listener);
      if (i >= 0) this.closeListeners.splice(i, 1);
    }
    return this;
  }

  off(event: string, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  /** The connection closed before this response was written: it will never be. */
  abort(): void {
    this.aborted = true;
    this.emitClose();
  }

  /** The whole head (with the Date, Connection and framing fields node:http adds) and how the body goes. */
  private framing(out: HeadBuilder, status: number, hasBody: boolean): { head: string; chunked: boolean; keepAlive: boolean; last: boolean } {
    let head = out.head;
    let chunked = out.te && out.chunked;
    let keepAlive = this.shouldKeepAlive;
    let last = false;
    if (!out.date) head += `Date: ${httpDate()}\r\n`;
    if (chunked && (status === 204 || status === 304)) {
      chunked = false;
      keepAlive = false;
    }
    if (out.connection !== undefined) {
      if (connectionTokens(out.connection).includes('close')) last = true;
      else keepAlive = true;
    } else if (keepAlive && (out.contentLength || this.chunkedByDefault)) {
      head += 'Connection: keep-alive\r\n';
      if (this.keepAliveTimeoutMs > 0 && !out.keepAlive) head += `Keep-Alive: timeout=${Math.floor(this.keepAliveTimeoutMs / 1000)}\r\n`;
    } else {
      last = true;
      head += 'Connection: close\r\n';
    }
    if (!out.contentLength && !out.te && hasBody) {
      if (!this.chunkedByDefault) last = true;
      else {
        head += 'Transfer-Encoding: chunked\r\n';
        chunked = true;
      }
    }
    if (out.trailer && !chunked) throw Object.assign(new Error('Trailers are invalid with this transfer encoding'), { code: 'ERR_HTTP_TRAILER_INVALID' });
    return { head: `${head}\r\n`, chunked, keepAlive, last };
  }

  /** Body bytes, framed, with the head in front if it has not gone yet: one write to the socket. */
  private send(chunk: Buffer | string, cb: ((err?: Error | null) => void) | undefined): boolean {
    const socket = this.socket;
    if (this.headWritten && !this.chunked) return socket.write(chunk, cb);
    if (!this.headWritten && !this.chunked && typeof chunk !== 'string' && chunk.length <= ONE_STRING_MAX_BYTES) {
      // A small body goes out with its head as one latin1 string (bytes kept as they are): one plain
      // write instead of a corked writev of two pieces.
      this.headWritten = true;
      return socket.write(this.head! + chunk.toString('latin1'), 'latin1', cb);
    }
    socket.cork();
    if (!this.headWritten) {
      this.headWritten = true;
      socket.write(this.head!, 'latin1');
    }
    if (this.chunked) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n`, 'latin1');
    socket.write(chunk, cb);
    const ok = this.chunked ? socket.write('\r\n', 'latin1') : true;
    socket.uncork();
    return ok && !socket.writableNeedDrain;
  }

  /** The end of the response as text: what is left of the head and the framing. */
  private sendRaw(tail: string): this {
    const text = this.headWritten ? tail : this.head! + tail;
    this.headWritten = true;
    this.socket.write(text, 'latin1', this.flushed);
    return this;
  }

  /** The last bytes reached the socket (a failed write is not a finish: the socket's close aborts). */
  private readonly flushed = (err?: Error | null): void => {
    if (this.done || this.aborted || err) return;
    this.done = true;
    this.owner.finished(this);
    this.emitClose();
  };

  private emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    const listeners = this.closeListeners;
    if (listeners !== undefined) for (const l of listeners.slice()) l();
  }
}

/** The header block as it is written, and what node:http's matchHeader would have noticed in it. */
class HeadBuilder {
  date = false;
  te = false;
  chunked = false;
  contentLength = false;
  trailer = false;
  keepAlive = false;
  connection: string | undefined;
  constructor(public head: string) {}

  field(name: string, value: string | number | readonly string[]): void {
    if (Array.isArray(value)) {
      for (const v of value as readonly string[]) this.field(name, v);
      return;
    }
    const text = typeof value === 'string' ? value : String(value);
    if (!isToken(name)) throw invalidHeader('name', name);
    if (BAD_FIELD_VALUE.test(text)) throw invalidHeader('value', name);
    this.head += `${name}: ${text}\r\n`;
    if (name.length < 4 || name.length > 17) return;
    switch (name.toLowerCase()) {
      case 'connection':
        this.connection = text;
        break;
      case 'transfer-encoding': {
        // Chunk framing only when chunked is the final coding (RFC 9112 §6.1), as upstream heads are read.
        const codings = connectionTokens(text);
        this.te = true;
        this.chunked = codings[codings.length - 1] === 'chunked';
        break;
      }
      case 'content-length':
        this.contentLength = true;
        break;
      case 'date':
        this.date = true;
        break;
      case 'trailer':
        this.trailer = true;
        break;
      case 'keep-alive':
        this.keepAlive = true;
        break;
    }
  }
}

function hasField(record: OutgoingHttpHeaders, lowerName: string): boolean {
  for (const name in record) if (name.toLowerCase() === lowerName) return true;
  return false;
}
