// One HTTP/2 connection from a client, on Sluice's own codec (frames, HPACK, flow control) rather
// than node:http2's server: streams become H2ServerStreams handed to the listener with 'stream', as
// node:http2's session hands its own. The session enforces what a client may do: stream limits,
// request syntax (RFC 9113 §8.3), flow control, and bounds on floods (rapid reset, CONTINUATION,
// PING/SETTINGS without reading the answers). close() is the graceful GOAWAY; destroy() cuts it.
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import { ProxyErrorCode } from '../../errors.js';
import { H2Connection } from './codec/h2-connection.js';
import { CLIENT_PREFACE, FrameFlag, H2ErrorCode, MAX_STREAM_ID, SettingId } from './codec/frame.js';
import { goawayFrame, headerFrames, pingFrame, rstStreamFrame, settingsFrame } from './codec/frame-writer.js';
import { HpackDecoder } from './hpack/hpack-decoder.js';
import { DOWNSTREAM_MAX_CONCURRENT_STREAMS, STREAM_WINDOW_BYTES } from './h2-settings.js';
import { H2ServerStream } from './h2-server-stream.js';
import { fieldsOf, readRequest, validTrailers } from './h2-request-fields.js';

export interface H2ServerSessionOptions {
  /** Header list bytes (RFC 9113 §6.5.2) and fields a request may carry before its stream is reset. */
  readonly maxHeaderListSize: number;
  readonly maxHeaderCount: number;
}

/** A response stream queues this much beyond its window before write() asks the writer to wait. */
const STREAM_HIGH_WATER_BYTES = 64 * 1024;
/**
 * Rapid reset (CVE-2023-44487): after this many streams, a connection whose client reset more than
 * half of them before their response ended is closed with ENHANCE_YOUR_CALM (Envoy's premature-reset
 * rule; nginx bounds new streams per read instead).
 */
const RESET_CHECK_AFTER_STREAMS = 100;
/** Streams reset by Sluice whose late frames are still told apart from a client's protocol error. */
const RESET_IDS_KEPT = 256;
/** Closing connections get this long to finish writing before they are cut. */
const CLOSE_GRACE_MS = 5_000;
/** How long a graceful close waits for the client to acknowledge its shutdown notice (Go's server: 1 s). */
const SHUTDOWN_NOTICE_MS = 1_000;
/** The opaque 8 bytes of the PING that follows the shutdown notice. */
const SHUTDOWN_PING = Buffer.from('sluice-g');


/**
 * The session is an H2Connection (the codec's shared half); its events ('stream', 'close', 'idle')
 * come from an EventEmitter it holds, as node:http2's session emits them.
 */
export class H2ServerSession extends H2Connection<H2ServerStream> {
  private readonly events = new EventEmitter();
  private readonly decoder: HpackDecoder;
  private prefaceSeen = 0;
  private lastStreamId = 0;
  private streamsOpened = 0;
  private prematureResets = 0;
  private readonly resetIds = new Set<number>();
  private idleTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private bytesWrittenAtCheck = -1;
  private idleTimeoutMs = 0;
  /** Set once close() sent its shutdown notice (the first GOAWAY). */
  private shutdownNotice: NodeJS.Timeout | undefined;
  /** GOAWAY sent or received: no new streams; the connection ends with the last open one. */
  draining = false;
  destroyed = false;

  constructor(socket: Socket, options: H2ServerSessionOptions) {
    // A header block may be twice the header list limit (HPACK literals are not much larger than the list).
    super(socket, 2 * options.maxHeaderListSize);
    this.decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: options.maxHeaderListSize, maxHeaderCount: options.maxHeaderCount, errorCode: ProxyErrorCode.BadRequest });
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    socket.on('end', () => this.destroy());
    this.writeRaw(
      settingsFrame([
        [SettingId.MAX_CONCURRENT_STREAMS, DOWNSTREAM_MAX_CONCURRENT_STREAMS],
        [SettingId.INITIAL_WINDOW_SIZE, STREAM_WINDOW_BYTES],
        [SettingId.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
      ]),
    );
    this.widenConnectionWindow();
  }

  on(event: 'stream', listener: (stream: H2ServerStream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void): this;
  on(event: 'close' | 'idle', listener: () => void): this;
  on(event: string, listener: (...args: any[]) => void): this {
    this.events.on(event, listener);
    return this;
  }

  /** Closes the connection after `ms` with no open stream (node:http2's session.setTimeout, as used). */
  setTimeout(ms: number, onIdle: () => void): void {
    this.idleTimeoutMs = ms;
    this.events.on('idle', onIdle);
    this.armIdle();
  }

  /**
   * Graceful close in RFC 9113 §6.8's two steps, as Envoy and Go's server do it. First a GOAWAY with
   * the highest stream id: the client opens no more streams, and those already on their way are still
   * served. Then a PING: once it comes back, every stream the client opened before it knew has
   * arrived, and the GOAWAY with the real last stream id follows (after SHUTDOWN_NOTICE_MS at the
   * latest, for a client that does not answer). Open streams finish, later ones are refused, and the
   * connection closes after the last. With the second GOAWAY alone, streams crossing it were refused.
   */
  close(): void {
    if (this.closed || this.draining || this.shutdownNotice !== undefined) return;
    this.writeRaw(goawayFrame(MAX_STREAM_ID, H2ErrorCode.NO_ERROR));
    this.writeRaw(pingFrame(SHUTDOWN_PING, false));
    this.shutdownNotice = setTimeout(() => this.goAway(), SHUTDOWN_NOTICE_MS);
  }

  protected onPingAck(payload: Buffer): void {
    if (this.shutdownNotice !== undefined && payload.equals(SHUTDOWN_PING)) this.goAway();
  }

  /**
   * An idle connection's close: one GOAWAY with the last stream id, as Envoy's and Go's idle timeouts
   * send it. There is no stream to spare, and a request crossing it is refused unprocessed (RFC 9113
   * §8.7: safe to retry).
   */
  closeIdle(): void {
    if (this.shutdownNotice === undefined) this.goAway();
  }

  /** GOAWAY with the last stream id: later streams are refused; the connection ends after its last. */
  private goAway(): void {
    clearTimeout(this.shutdownNotice);
    if (this.closed || this.draining) return;
    this.draining = true;
    this.writeRaw(goawayFrame(this.lastStreamId, H2ErrorCode.NO_ERROR));
    if (this.streams.size === 0) this.shutdown();
  }

  /** Ends the connection now; open streams close (reset). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closed = true;
    this.draining = true;
    this.reader.stop();
    clearTimeout(this.idleTimer);
    clearTimeout(this.stallTimer);
    clearTimeout(this.shutdownNotice);
    for (const stream of [...this.streams.values()]) this.removeStream(stream, H2ErrorCode.CANCEL);
    this.socket.destroy();
    this.events.emit('close');
  }

  // ---- inbound ----

  private onSocketData(chunk: Buffer): void {
    if (this.prefaceSeen < CLIENT_PREFACE.length) {
      const n = Math.min(chunk.length, CLIENT_PREFACE.length - this.prefaceSeen);
      if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + n))) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'not the HTTP/2 client preface');
      this.prefaceSeen += n;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.reader.push(chunk);
  }

  protected onStreamData(stream: H2ServerStream, body: Buffer, endStream: boolean): void {
    stream.receivedBytes += body.length;
    if (stream.expectedBytes >= 0 && (stream.receivedBytes > stream.expectedBytes || (endStream && stream.receivedBytes !== stream.expectedBytes))) {
      this.creditConnection(body.length);
      return this.streamError(stream, H2ErrorCode.PROTOCOL_ERROR);
    }
    if (body.length > 0) stream.pushBody(body);
    if (endStream && !stream.closed) {
      stream.pushEnd();
      this.closeIfDone(stream);
    }
  }

  protected unknownStream(streamId: number, what: string): void {
    if (streamId > this.lastStreamId) this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${streamId}`);
  }

  protected onGoaway(): void {
    // The client will open no more streams; the ones open finish.
    this.draining = true;
    if (this.streams.size === 0) this.shutdown();
  }

  protected onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    let fields: string[] | undefined;
    let overLimit = false;
    try {
      fields = this.decoder.decode(block);
    } catch (err) {
      // Over a size limit the table is still in step: only the stream fails. Else the HPACK state is lost.
      if ((err as { limit?: string }).limit !== undefined) overLimit = true;
      else return this.connectionError(H2ErrorCode.COMPRESSION_ERROR, `request headers could not be decoded: ${(err as Error).message}`);
    }
    const existing = this.streams.get(streamId);
    if (existing !== undefined) {
      // Trailers: they must end the stream, hold no pseudo-header, and the body before them must be
      // whole (its content-length met); their fields are not passed on (the engine reads none).
      if (existing.remoteEnded || !endStream || overLimit || !validTrailers(fields!)) return this.streamError(existing, H2ErrorCode.PROTOCOL_ERROR);
      if (existing.expectedBytes >= 0 && existing.receivedBytes !== existing.expectedBytes) return this.streamError(existing, H2ErrorCode.PROTOCOL_ERROR);
      existing.pushEnd();
      this.closeIfDone(existing);
      return;
    }
    if ((streamId & 1) === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `HEADERS on the even stream ${streamId}`);
    // A stream Sluice reset or refused may still get frames the client sent before it knew: ignored
    // (RFC 9113 §5.1). Any other id not above the last one opens no stream: a connection error.
    if (streamId <= this.lastStreamId) {
      if (this.resetIds.has(streamId)) return;
      return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, not above ${this.lastStreamId}`);
    }
    this.lastStreamId = streamId;
    this.streamsOpened++;
    if (this.draining || this.streams.size >= DOWNSTREAM_MAX_CONCURRENT_STREAMS) return this.refuse(streamId, H2ErrorCode.REFUSED_STREAM, false);
    if (overLimit) return this.refuse(streamId, H2ErrorCode.ENHANCE_YOUR_CALM, true);
    const request = readRequest(fields!);
    if (typeof request === 'string') return this.refuse(streamId, H2ErrorCode.PROTOCOL_ERROR, true);
    if (request.contentLength > 0 && endStream) return this.refuse(streamId, H2ErrorCode.PROTOCOL_ERROR, true);
    const stream = new H2ServerStream(streamId, this, endStream, STREAM_WINDOW_BYTES, this.peerInitialWindow);
    stream.expectedBytes = request.contentLength;
    this.streams.set(streamId, stream);
    clearTimeout(this.idleTimer);
    this.events.emit('stream', stream, request.headers, endStream ? FrameFlag.END_STREAM : 0, fields!);
  }

  protected onResetFrame(streamId: number, code: number): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return this.unknownStream(streamId, 'RST_STREAM');
    if (!stream.writableFinished && this.countPrematureReset()) return;
    this.removeStream(stream, code || H2ErrorCode.CANCEL);
  }

  /**
   * Rapid reset, whoever sends the RST_STREAM: a client may make Sluice reset its streams (malformed
   * requests, frames a closed stream cannot take: "MadeYouReset") as cheaply as it resets them itself.
   * True when the connection was ended for it.
   */
  private countPrematureReset(): boolean {
    if (++this.prematureResets * 2 <= this.streamsOpened || this.streamsOpened < RESET_CHECK_AFTER_STREAMS) return false;
    this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, 'too many streams reset before their response ended');
    return true;
  }

  /** Refuses a stream that never opened: RST_STREAM with `code`; `premature` counts it as a reset. */
  private refuse(streamId: number, code: number, premature: boolean): void {
    if (premature && this.countPrematureReset()) return;
    if (this.floodingUs()) return;
    this.noteReset(streamId);
    this.writeRaw(rstStreamFrame(streamId, code));
  }

  /** Remembers the last streams Sluice reset, whose in-flight frames are then ignored. */
  private noteReset(streamId: number): void {
    this.resetIds.add(streamId);
    if (this.resetIds.size > RESET_IDS_KEPT) this.resetIds.delete(this.resetIds.values().next().value!);
  }

  protected peerSetting(id: number, value: number): boolean {
    if (id === SettingId.ENABLE_PUSH && value > 1) {
      this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH not 0 or 1');
      return false;
    }
    return true;
  }

  protected settingsApplied(): void {}

  // ---- outbound, called by streams ----

  sendHeaders(stream: H2ServerStream, headers: OutgoingHttpHeaders, endStream: boolean): void {
    this.writeRaw(headerFrames(stream.id, this.encoder.encode(fieldsOf(headers)), endStream, this.peerMaxFrameSize));
    if (endStream) stream.finished();
  }

  /**
   * Response body (and END_STREAM with `end`); false when the writer should wait for 'drain'. The
   * tick's last chunk is held so that an end() right after it rides its frame (sendBodyHoldingTail).
   */
  write(stream: H2ServerStream, chunk: Buffer, end: boolean, cb: (() => void) | undefined): boolean {
    if (stream.closed) {
      if (cb !== undefined) process.nextTick(cb);
      return false;
    }
    this.sendBodyHoldingTail(stream, chunk, end, cb === undefined ? undefined : () => process.nextTick(cb));
    return this.mayWriteMore(stream);
  }

  /** Whether the stream's writer may go on; if not, it waits for 'drain' and the stall check watches. */
  private mayWriteMore(stream: H2ServerStream): boolean {
    if (stream.queuedBytes < STREAM_HIGH_WATER_BYTES && !this.socket.writableNeedDrain) return true;
    stream.wantsDrain = true;
    this.armStallCheck();
    return false;
  }

  /** Runs `then` once what the stream queued went out (its window allowing). */
  whenFlushed(stream: H2ServerStream, then: () => void): void {
    this.releaseTail(stream);
    if (stream.queued.length === 0) return then();
    stream.queued.push({ chunk: EMPTY, cb: then, end: false });
  }

  resetStream(stream: H2ServerStream, code: number): void {
    this.noteReset(stream.id);
    this.writeRaw(rstStreamFrame(stream.id, code));
    this.removeStream(stream, code);
  }

  /**
   * Both sides ended: the stream goes. A response that ended before the request did (an early answer,
   * a refusal) asks the client to stop with RST_STREAM(NO_ERROR) (RFC 9113 §8.1): a client that never
   * ends its side must not hold the stream, and the connection, for ever.
   */
  closeIfDone(stream: H2ServerStream): void {
    if (!stream.writableFinished) return;
    if (stream.remoteEnded) return this.removeStream(stream, 0);
    this.resetStream(stream, H2ErrorCode.NO_ERROR);
  }

  protected bodySent(stream: H2ServerStream, end: boolean): void {
    if (end) stream.finished();
  }

  protected streamWritable(stream: H2ServerStream): void {
    stream.emit('drain');
  }

  /** A zero-window client must not hold the stream for ever: the stall check watches it. */
  protected bodyQueued(): void {
    this.armStallCheck();
  }

  // ---- endings ----

  private removeStream(stream: H2ServerStream, code: number): void {
    if (!this.streams.delete(stream.id)) return;
    // Body it held unread goes with it: its connection window comes back. It calls back its queued
    // writes as it closes; then the queue goes.
    this.creditConnection(stream.unreadBytes());
    stream.closeStream(code);
    this.dropQueued(stream);
    if (this.streams.size === 0) {
      if (this.draining) this.shutdown();
      else this.armIdle();
    }
  }

  protected streamError(stream: H2ServerStream, code: number): void {
    if (this.countPrematureReset() || this.floodingUs()) return;
    this.resetStream(stream, code);
  }

  protected connectionError(code: number, message: string): void {
    if (this.closed) return;
    this.writeRaw(goawayFrame(this.lastStreamId, code, message));
    this.uncork();
    this.closed = true;
    this.socket.end();
    this.destroy();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    this.socket.end();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }

  /**
   * A client that never opens its window (zero-window slowloris) would hold a stream, and the upstream
   * response behind it, for ever: a stream whose body waited a whole idleTimeoutMs without a byte
   * going out is reset (CANCEL), as Envoy's stream idle timeout does.
   */
  private armStallCheck(): void {
    if (this.stallTimer !== undefined || this.idleTimeoutMs <= 0 || this.closed) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      // A client that reads nothing at all: the socket's own buffer does not move.
      const written = this.socket.bytesWritten;
      if (this.socket.writableLength > 0 && written === this.bytesWrittenAtCheck) return this.destroy();
      this.bytesWrittenAtCheck = written;
      let waiting = this.socket.writableLength > 0;
      for (const stream of [...this.streams.values()]) {
        if (stream.queued.length === 0) continue;
        if (stream.sentBytes === stream.sentAtLastCheck) {
          this.resetStream(stream, H2ErrorCode.CANCEL);
          continue;
        }
        stream.sentAtLastCheck = stream.sentBytes;
        waiting = true;
      }
      if (waiting) this.armStallCheck();
    }, this.idleTimeoutMs);
    this.stallTimer.unref();
  }

  private armIdle(): void {
    if (this.idleTimeoutMs <= 0 || this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.streams.size === 0) this.events.emit('idle');
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }
}

const EMPTY = Buffer.alloc(0);
