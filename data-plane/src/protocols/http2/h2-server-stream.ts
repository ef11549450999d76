// One HTTP/2 stream from a client, on Sluice's own codec: the members of node:http2's ServerHttp2Stream
// that the request and response adapters (h2-request.ts, h2-response.ts) and the listener use, and
// nothing else. Its readable side is the request body ('data', 'end', pause/resume/unshift, which hold
// the flow-control window while paused); its writable side the response (respond, write, end,
// trailers through 'wantTrailers', 'drain'). 'close' comes once, however the stream ends.
import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http2';
import type { QueuedBody } from './codec/h2-connection.js';

/** What a stream asks of its session (h2-server-session.ts) to send and to end. */
export interface StreamSession {
  sendHeaders(stream: H2ServerStream, headers: OutgoingHttpHeaders, endStream: boolean): void;
  write(stream: H2ServerStream, chunk: Buffer, end: boolean, cb: (() => void) | undefined): boolean;
  whenFlushed(stream: H2ServerStream, then: () => void): void;
  resetStream(stream: H2ServerStream, code: number): void;
  /** The reader took `bytes` of body: window goes back to the client as the session sees fit. */
  consumed(stream: H2ServerStream, bytes: number): void;
  closeIfDone(stream: H2ServerStream): void;
}

export interface RespondOptions {
  readonly endStream?: boolean;
  readonly waitForTrailers?: boolean;
}

export class H2ServerStream extends EventEmitter {
  /** Bytes of body the client may still send before it must wait (our receive window as it sees it). */
  receiveWindow: number;
  /** Body delivered and not yet given back to the client by WINDOW_UPDATE. */
  unackedBytes = 0;
  /** Our send window on this stream, from the client's SETTINGS and WINDOW_UPDATEs. */
  sendWindow: number;
  /** Response body waiting for window: chunks, their callbacks, and whether END_STREAM rides the last. */
  readonly queued: QueuedBody[] = [];
  queuedBytes = 0;
  sentBytes = 0;
  /** sentBytes when the stall check last looked, while body waited for window. */
  sentAtLastCheck = -1;
  /** The last chunk written this tick, not yet framed (an end() in the same tick marks its frame END_STREAM). */
  tail: QueuedBody | undefined;
  /** Request body held until it is read (not flowing, paused, or put back with unshift). */
  private held: Buffer[] = [];
  /**
   * As a Readable's flowing state: null until someone reads (a 'data' listener or resume()), then true;
   * false after pause(). Body arriving before anyone reads is held, as node:http2's stream holds it.
   */
  private flowing: boolean | null = null;
  private drainScheduled = false;
  /** Bytes put back with unshift, not to be counted as consumed again. */
  private reread = 0;
  /** The client ended its side (END_STREAM seen); 'end' is emitted once the held body is delivered. */
  remoteEnded = false;
  private endEmitted = false;
  headersSent = false;
  /** end() was called: the response's last byte is written or queued. */
  writableEnded = false;
  /** The response went out whole (END_STREAM sent). */
  writableFinished = false;
  private waitForTrailers = false;
  destroyed = false;
  closed = false;
  rstCode = 0;
  wantsDrain = false;
  /** Body bytes counted against the request's content-length (-1: none given). */
  expectedBytes = -1;
  receivedBytes = 0;
  readonly createdAt = performance.now();

  constructor(
    readonly id: number,
    readonly session: StreamSession,
    /** The request had END_STREAM on its HEADERS: no body. */
    readonly endAfterHeaders: boolean,
    receiveWindow: number,
    sendWindow: number,
  ) {
    super();
    this.receiveWindow = receiveWindow;
    this.sendWindow = sendWindow;
    this.remoteEnded = endAfterHeaders;
  }

  // ---- request body ----

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    // A 'data' listener starts the flow, as on a Readable (unless paused on purpose).
    if (event === 'data' && this.flowing === null) this.resume();
    return this;
  }

  pause(): this {
    this.flowing = false;
    return this;
  }

  resume(): this {
    this.flowing = true;
    this.scheduleDrain();
    return this;
  }

  isPaused(): boolean {
    return this.flowing === false;
  }

  /** Puts body bytes back in front of what is still to come (read once already: not counted again). */
  unshift(chunk: Buffer): void {
    this.held.unshift(chunk);
    this.reread += chunk.length;
    if (this.flowing === true) this.scheduleDrain();
  }

  /** Body from the session: delivered now while flowing, else held. */
  pushBody(chunk: Buffer): void {
    if (this.flowing !== true || this.held.length > 0) {
      this.held.push(chunk);
      return;
    }
    this.emit('data', chunk);
    this.session.consumed(this, chunk.length);
  }

  /** The client's END_STREAM: 'end' follows whatever body is still held. */
  pushEnd(): void {
    this.remoteEnded = true;
    if (this.flowing === true && this.held.length === 0) this.emitEnd();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    process.nextTick(drainHeld, this);
  }

  /** Delivers what was held, while flowing, then gives the window back. */
  drainHeld(): void {
    this.drainScheduled = false;
    let taken = 0;
    while (this.held.length > 0 && this.flowing === true && !this.closed) {
      const chunk = this.held.shift()!;
      taken += chunk.length;
      this.emit('data', chunk);
    }
    // Bytes put back with unshift were consumed once already.
    const fresh = Math.max(0, taken - this.reread);
    this.reread = Math.max(0, this.reread - taken);
    if (this.closed) return;
    if (fresh > 0) this.session.consumed(this, fresh);
    if (this.flowing === true && this.remoteEnded && this.held.length === 0) this.emitEnd();
  }

  private emitEnd(): void {
    if (this.endEmitted || this.closed) return;
    this.endEmitted = true;
    this.emit('end');
  }

  // ---- response ----

  respond(headers: OutgoingHttpHeaders, options: RespondOptions = {}): void {
    if (this.headersSent || this.closed) return;
    this.headersSent = true;
    this.waitForTrailers = options.waitForTrailers === true;
    const endStream = options.endStream === true;
    // With endStream the session marks the response finished as the frame goes out.
    if (endStream) this.writableEnded = true;
    this.session.sendHeaders(this, headers, endStream);
  }

  /** An informational head (100 Continue) before the response. */
  additionalHeaders(headers: OutgoingHttpHeaders): void {
    if (this.headersSent || this.closed) return;
    this.session.sendHeaders(this, headers, false);
  }

  write(chunk: Buffer | string, cb?: (err?: Error | null) => void): boolean {
    if (this.closed || this.writableEnded) {
      if (cb !== undefined) process.nextTick(cb);
      return false;
    }
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    return this.session.write(this, buf, false, cb);
  }

  end(chunk?: Buffer | string): void {
    if (this.closed || this.writableEnded) return;
    this.writableEnded = true;
    const buf = chunk === undefined ? undefined : typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    // With trailers possible, the body ends without END_STREAM; the trailers (or an empty DATA) end it.
    if (buf !== undefined && buf.length > 0) this.session.write(this, buf, !this.waitForTrailers, undefined);
    else if (!this.waitForTrailers) this.session.write(this, EMPTY, true, undefined);
    if (this.waitForTrailers) this.session.whenFlushed(this, () => this.closed || this.emit('wantTrailers'));
  }

  sendTrailers(headers: OutgoingHttpHeaders): void {
    if (this.closed || this.writableFinished) return;
    let any = false;
    for (const _ in headers) {
      any = true;
      break;
    }
    if (any) this.session.sendHeaders(this, headers, true);
    else this.session.write(this, EMPTY, true, undefined);
  }

  /** Resets the stream (RST_STREAM: CANCEL, or INTERNAL_ERROR with an error). */
  destroy(err?: Error): this {
    if (this.closed) return this;
    this.session.resetStream(this, err === undefined ? 0x8 : 0x2);
    return this;
  }

  // ---- endings, called by the session ----

  /** END_STREAM went out. */
  finished(): void {
    if (this.writableFinished) return;
    this.writableFinished = true;
    this.session.closeIfDone(this);
  }

  /** Body received and not read by the engine (its window was never given back). */
  unreadBytes(): number {
    let n = -this.reread;
    for (const chunk of this.held) n += chunk.length;
    return Math.max(0, n);
  }

  /** The stream is gone: reset by either side, or both sides ended. */
  closeStream(rstCode: number): void {
    if (this.closed) return;
    this.closed = true;
    this.destroyed = true;
    this.rstCode = rstCode;
    this.held.length = 0;
    for (const q of this.queued.splice(0)) if (q.cb !== undefined) process.nextTick(q.cb);
    if (this.tail?.cb !== undefined) process.nextTick(this.tail.cb);
    this.tail = undefined;
    this.queuedBytes = 0;
    if (rstCode !== 0 && !this.remoteEnded) this.emit('aborted');
    this.emit('close');
  }
}

const EMPTY = Buffer.alloc(0);

function drainHeld(stream: H2ServerStream): void {
  stream.drainHeld();
}
