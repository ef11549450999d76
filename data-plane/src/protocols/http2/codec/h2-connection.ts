// What both ends of an HTTP/2 connection do alike, for Sluice's client sessions (to upstreams) and
// server sessions (from clients): frames in and out, SETTINGS, PING, WINDOW_UPDATE, header blocks
// continued over CONTINUATION frames, both flow-control windows, and writes gathered per tick. The
// sides add what differs: who opens streams, what a header block means, RST_STREAM and GOAWAY.
import type { Socket } from 'node:net';
import { FrameReader, type FrameSink } from './frame-reader.js';
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW_BYTES, FrameFlag, FrameType, H2ErrorCode, MAX_ALLOWED_FRAME_SIZE, MAX_WINDOW_BYTES, SettingId } from './frame.js';
import { SETTINGS_ACK, dataFrame, dataFrameHeader, pingFrame, windowUpdateFrame } from './frame-writer.js';
import { HpackEncoder } from '../hpack/hpack-encoder.js';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from '../h2-settings.js';
import { currentLoopTurn } from './loop-turn.js';

/** Entries one SETTINGS frame may hold. */
const MAX_SETTINGS_ENTRIES = 32;
/**
 * Writes gathered past this many go out at once, the rest of the batch after them. A read that
 * brought dozens of requests (gRPC calls, 50 in flight) otherwise reaches the peer only when the
 * last of them is framed, and the peer idles meanwhile: at 32, gRPC unary calls per second through
 * Sluice rose by 4-7% (docs/benchmarks.md).
 */
const FLUSH_EVERY_WRITES = 32;
/** Body chunks below this are copied behind their frame header: one buffer to write instead of two. */
const COPY_BELOW_BYTES = 1024;
/** CONTINUATION frames one header block may take (empty ones would otherwise cost memory for nothing). */
const MAX_HEADER_BLOCK_FRAMES = 128;
/**
 * A peer that sends frames we must answer (PING, SETTINGS) and does not read the answers is cut off
 * past this many answers written while the socket's buffer never emptied, or this many bytes queued
 * (nghttp2 bounds its queued answers alike).
 */
const MAX_UNREAD_ANSWERS = 10_000;
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

/** Body waiting for flow-control window: the bytes, a callback once sent, and END_STREAM on the last. */
export interface QueuedBody {
  chunk: Buffer;
  readonly cb: (() => void) | undefined;
  readonly end: boolean;
}

/** The flow-control state of one stream, kept by the connection. */
export interface FlowStream {
  readonly id: number;
  /** What we may still send on it. */
  sendWindow: number;
  /** What the peer may still send on it before it must wait for us. */
  receiveWindow: number;
  /** Body handed on and not yet given back to the peer by WINDOW_UPDATE. */
  unackedBytes: number;
  readonly queued: QueuedBody[];
  queuedBytes: number;
  /** The last body chunk written this tick, held until its writes go out (sendBodyHoldingTail). */
  tail: QueuedBody | undefined;
  /** Body bytes sent on it so far (a stall shows as no change while body waits). */
  sentBytes: number;
  /** A writer was told to wait: it hears when the stream can take more. */
  wantsDrain: boolean;
  remoteEnded: boolean;
  closed: boolean;
}

export abstract class H2Connection<S extends FlowStream> implements FrameSink {
  protected readonly streams = new Map<number, S>();
  protected readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE, this);
  protected readonly encoder = new HpackEncoder();
  protected sendWindow = DEFAULT_WINDOW_BYTES;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE: a new stream's send window. */
  protected peerInitialWindow = DEFAULT_WINDOW_BYTES;
  protected peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private receiveWindow = CONNECTION_WINDOW_BYTES;
  private unackedBytes = 0;
  /** Streams whose body waits for window, in the order they started waiting. */
  private readonly blocked = new Set<S>();
  /** Streams holding a chunk until this tick's writes go out (sendBodyHoldingTail). */
  private readonly tails = new Set<S>();
  private continuing: { streamId: number; fragments: Buffer[]; bytes: number; endStream: boolean } | undefined;
  private corked = false;
  /** Writes since the socket was corked or last flushed. */
  private corkedWrites = 0;
  /** The loop turn in which this connection's writes last went out on a nextTick (-1: none yet). */
  private flushedInTurn = -1;
  private unreadAnswers = 0;
  closed = false;

  constructor(
    readonly socket: Socket,
    /** A header block's raw fragments past this are refused (CONTINUATION floods). */
    private readonly maxHeaderBlockBytes: number,
  ) {
    socket.setNoDelay(true);
    socket.on('drain', () => this.onSocketDrain());
  }

  /** Opens our connection window (WINDOW_UPDATE on stream 0) past the protocol's 64 KiB. */
  protected widenConnectionWindow(): void {
    this.writeRaw(windowUpdateFrame(0, CONNECTION_WINDOW_BYTES - DEFAULT_WINDOW_BYTES));
  }

  // ---- what the sides add ----

  /** A whole header block on `streamId` (HEADERS plus CONTINUATIONs, padding and priority removed). */
  protected abstract onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void;
  /** Body of a stream the connection holds, after flow control (`padding` bytes were consumed already). */
  protected abstract onStreamData(stream: S, body: Buffer, endStream: boolean): void;
  protected abstract onResetFrame(streamId: number, code: number): void;
  protected abstract onGoaway(lastStreamId: number, code: number): void;
  /** A frame for a stream the connection does not hold: one closed already, or one never opened. */
  protected abstract unknownStream(streamId: number, what: string): void;
  /** A setting only one side acts on (ENABLE_PUSH, MAX_CONCURRENT_STREAMS); false ends the frame. */
  protected abstract peerSetting(id: number, value: number): boolean;
  /** The peer's SETTINGS were applied and acknowledged. */
  protected abstract settingsApplied(): void;
  /** A piece of body went out whole (with END_STREAM when `end`). */
  protected abstract bodySent(stream: S, end: boolean): void;
  /** A stream whose writer was told to wait can take more now. */
  protected abstract streamWritable(stream: S): void;
  /** A stream broke the rules: reset it; the connection carries on. */
  protected abstract streamError(stream: S, code: number, message: string): void;
  /** The connection broke the rules: GOAWAY with `code`, then close. */
  protected abstract connectionError(code: number, message: string): void;
  /** Called just before a tick's writes go out (the server frames held-back body then). */
  /** Body of the stream waits for window. */
  protected bodyQueued(_stream: S): void {}
  /** The peer acknowledged a PING this side sent. */
  protected onPingAck(_payload: Buffer): void {}

  // ---- inbound frames ----

  onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuing !== undefined && type !== FrameType.CONTINUATION) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.onHeadersFrame(flags, streamId, payload);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.RST_STREAM:
        if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        if (payload.length !== 4) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed RST_STREAM');
        return this.onResetFrame(streamId, payload.readUInt32BE(0));
      case FrameType.SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case FrameType.PING:
        if (streamId !== 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed PING');
        if ((flags & FrameFlag.ACK) !== 0) return this.onPingAck(payload);
        if (this.floodingUs()) return;
        return this.writeRaw(pingFrame(payload, true));
      case FrameType.GOAWAY:
        if (streamId !== 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (payload.length < 8) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed GOAWAY');
        return this.onGoaway(payload.readUInt32BE(0) & 0x7fff_ffff, payload.readUInt32BE(4));
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.PUSH_PROMISE:
        // Sluice's clients disable push, and a client never sends one.
        return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE, which this connection does not allow');
      case FrameType.PRIORITY:
        if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed PRIORITY');
        return;
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1).
        return;
    }
  }

  onFramingError(code: number, message: string): void {
    this.connectionError(code, message);
  }

  private onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole payload, padding included, and DATA for streams already closed.
    // The connection's window comes back as streams' readers take the body (consumed()), so what a
    // connection can make Sluice hold is bounded by it, not by the sum of its streams' windows.
    const length = payload.length;
    if (length > this.receiveWindow) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection window');
    this.receiveWindow -= length;
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      this.creditConnection(length);
      return this.unknownStream(streamId, 'DATA');
    }
    if (stream.remoteEnded || length > stream.receiveWindow) {
      this.creditConnection(length);
      if (stream.remoteEnded) return this.streamError(stream, H2ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM');
      return this.streamError(stream, H2ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream window');
    }
    stream.receiveWindow -= length;
    let body = payload;
    if ((flags & FrameFlag.PADDED) !== 0) {
      const pad = length > 0 ? payload[0]! : 0;
      if (length === 0 || pad >= length) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than its frame');
      body = payload.subarray(1, length - pad);
      // Padding (and its length byte) is consumed at once; it never reaches the stream's reader.
      this.consumed(stream, length - body.length);
    }
    this.onStreamData(stream, body, (flags & FrameFlag.END_STREAM) !== 0);
  }

  private onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if ((flags & FrameFlag.PADDED) !== 0) {
      start = 1;
      end -= end > 0 ? payload[0]! : 0;
    }
    if ((flags & FrameFlag.PRIORITY) !== 0) start += 5;
    if (start > end) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'HEADERS padding or priority longer than its frame');
    const fragment = payload.subarray(start, end);
    const endStream = (flags & FrameFlag.END_STREAM) !== 0;
    if ((flags & FrameFlag.END_HEADERS) !== 0) return this.onHeaderBlock(streamId, fragment, endStream);
    this.continuing = { streamId, fragments: [fragment], bytes: fragment.length, endStream };
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const c = this.continuing;
    if (c === undefined || c.streamId !== streamId) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without a header block to continue');
    c.bytes += payload.length;
    if (c.bytes > this.maxHeaderBlockBytes) return this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, `a header block over ${this.maxHeaderBlockBytes} bytes`);
    if (c.fragments.length >= MAX_HEADER_BLOCK_FRAMES) return this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, `a header block in over ${MAX_HEADER_BLOCK_FRAMES} frames`);
    c.fragments.push(payload);
    if ((flags & FrameFlag.END_HEADERS) === 0) return;
    this.continuing = undefined;
    this.onHeaderBlock(streamId, Buffer.concat(c.fragments, c.bytes), c.endStream);
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if ((flags & FrameFlag.ACK) !== 0) {
      if (payload.length !== 0) this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS acknowledgement with a payload');
      return;
    }
    if (payload.length % 6 !== 0) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS payload not a multiple of 6 bytes');
    // Each INITIAL_WINDOW_SIZE walks every open stream: a frame of thousands would cost CPU for nothing
    // (nghttp2 allows 32, CVE-2020-11080).
    if (payload.length > MAX_SETTINGS_ENTRIES * 6) return this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, `a SETTINGS frame of over ${MAX_SETTINGS_ENTRIES} entries`);
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === SettingId.HEADER_TABLE_SIZE) this.encoder.setPeerMaxTableSize(value);
      else if (id === SettingId.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW_BYTES) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW_BYTES) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'a stream window above 2^31-1');
        }
      } else if (id === SettingId.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} out of range`);
        this.peerMaxFrameSize = value;
      } else if (!this.peerSetting(id, value)) return;
    }
    if (this.floodingUs()) return;
    this.writeRaw(SETTINGS_ACK);
    this.flushBlocked();
    this.settingsApplied();
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed WINDOW_UPDATE');
    const increment = payload.readUInt32BE(0) & 0x7fff_ffff;
    if (streamId === 0) {
      if (increment === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW_BYTES) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'the connection window above 2^31-1');
      return this.flushBlocked();
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return this.unknownStream(streamId, 'WINDOW_UPDATE');
    if (increment === 0) return this.streamError(stream, H2ErrorCode.PROTOCOL_ERROR, 'a WINDOW_UPDATE of 0');
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW_BYTES) return this.streamError(stream, H2ErrorCode.FLOW_CONTROL_ERROR, 'the stream window above 2^31-1');
    if (stream.queued.length > 0) this.flushStream(stream);
  }

  /**
   * A peer that sends frames we must answer (PING, SETTINGS) and does not read the answers: past
   * MAX_UNREAD_BYTES queued, the connection ends rather than growing without bound.
   */
  protected floodingUs(): boolean {
    const backlog = this.socket.writableLength;
    if (backlog === 0) {
      this.unreadAnswers = 0;
      return false;
    }
    if (++this.unreadAnswers <= MAX_UNREAD_ANSWERS && backlog <= MAX_UNREAD_BYTES) return false;
    this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, 'the peer leaves what it is sent unread');
    return true;
  }

  // ---- outbound ----

  /**
   * Body for a stream: sent now as far as both windows allow, the rest queued behind what waits
   * already. The caller decides from `stream.queuedBytes` when its writer must wait.
   */
  protected sendBody(stream: S, chunk: Buffer, end: boolean, cb: (() => void) | undefined): void {
    if (stream.queued.length === 0) {
      const sent = this.sendData(stream, chunk, end);
      if (sent === chunk.length) {
        if (cb !== undefined) cb();
        this.bodySent(stream, end);
        return;
      }
      chunk = chunk.subarray(sent);
    }
    stream.queued.push({ chunk, cb, end });
    stream.queuedBytes += chunk.length;
    this.blocked.add(stream);
    this.bodyQueued(stream);
  }

  /**
   * sendBody, except that the last chunk written in a tick is held until the tick's writes go out: an
   * end in the same tick (a gRPC message and its end, a response's last chunk and end()) then puts
   * END_STREAM on its DATA frame instead of an empty DATA frame of its own, as node:http2 does. A chunk
   * the windows cannot take whole is not held: its writer hears to wait as soon as it should.
   */
  protected sendBodyHoldingTail(stream: S, chunk: Buffer, end: boolean, cb: (() => void) | undefined): void {
    const tail = stream.tail;
    if (tail !== undefined) {
      stream.tail = undefined;
      if (end && chunk.length === 0) return this.sendBody(stream, tail.chunk, true, tail.cb);
      this.sendBody(stream, tail.chunk, false, tail.cb);
    }
    if (!end && chunk.length > 0 && stream.queued.length === 0 && chunk.length <= Math.min(stream.sendWindow, this.sendWindow)) {
      stream.tail = { chunk, cb, end: false };
      this.tails.add(stream);
      this.cork();
      return;
    }
    this.sendBody(stream, chunk, end, cb);
  }

  /** Sends the stream's held chunk now, if it holds one. */
  protected releaseTail(stream: S): void {
    const tail = stream.tail;
    if (tail === undefined) return;
    stream.tail = undefined;
    this.sendBody(stream, tail.chunk, false, tail.cb);
  }

  /** Sends what the windows allow of `chunk` as DATA frames; returns how many bytes went. */
  private sendData(stream: S, chunk: Buffer, end: boolean): number {
    if (chunk.length === 0) {
      if (end) this.writeRaw(dataFrameHeader(stream.id, 0, true));
      return 0;
    }
    const room = Math.min(stream.sendWindow, this.sendWindow);
    let at = 0;
    while (at < chunk.length && at < room) {
      const n = Math.min(chunk.length - at, this.peerMaxFrameSize, room - at);
      const last = end && at + n === chunk.length;
      if (n < COPY_BELOW_BYTES) this.writeRaw(dataFrame(stream.id, chunk, at, at + n, last));
      else {
        this.writeRaw(dataFrameHeader(stream.id, n, last));
        this.writeRaw(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
      }
      at += n;
    }
    stream.sendWindow -= at;
    stream.sentBytes += at;
    this.sendWindow -= at;
    return at;
  }

  protected flushStream(stream: S): void {
    while (stream.queued.length > 0) {
      const q = stream.queued[0]!;
      const sent = this.sendData(stream, q.chunk, q.end);
      stream.queuedBytes -= sent;
      if (sent < q.chunk.length) {
        q.chunk = q.chunk.subarray(sent);
        return;
      }
      stream.queued.shift();
      if (q.cb !== undefined) q.cb();
      this.bodySent(stream, q.end);
      if (stream.closed) return;
    }
    this.blocked.delete(stream);
    if (stream.wantsDrain && !this.socket.writableNeedDrain) {
      stream.wantsDrain = false;
      this.streamWritable(stream);
    }
  }

  private flushBlocked(): void {
    for (const stream of this.blocked) {
      if (this.sendWindow <= 0) return;
      this.flushStream(stream);
    }
  }

  private onSocketDrain(): void {
    for (const stream of this.streams.values()) {
      if (stream.wantsDrain && stream.queued.length === 0) {
        stream.wantsDrain = false;
        this.streamWritable(stream);
      }
    }
  }

  /** Forgets what a stream had queued or held (it was reset or its peer wants no more). */
  protected dropQueued(stream: S): void {
    stream.tail = undefined;
    stream.queued.length = 0;
    stream.queuedBytes = 0;
    this.blocked.delete(stream);
  }

  /** The stream's reader took `bytes` of its body: their window goes back to the peer (in batches). */
  consumed(stream: S, bytes: number): void {
    if (bytes <= 0) return;
    this.creditConnection(bytes);
    stream.unackedBytes += bytes;
    this.ackStream(stream);
  }

  /** Window of bytes no stream will read (dropped with their stream) goes back to the peer. */
  protected creditConnection(bytes: number): void {
    this.unackedBytes += bytes;
    if (this.unackedBytes >= CONNECTION_WINDOW_BYTES / 2) {
      this.writeRaw(windowUpdateFrame(0, this.unackedBytes));
      this.receiveWindow += this.unackedBytes;
      this.unackedBytes = 0;
    }
  }

  /** Gives the peer back the window of what the stream's reader took, once half the window is used. */
  private ackStream(stream: S): void {
    if (stream.unackedBytes >= STREAM_WINDOW_BYTES / 2 && !stream.remoteEnded && !stream.closed) {
      this.writeRaw(windowUpdateFrame(stream.id, stream.unackedBytes));
      stream.receiveWindow += stream.unackedBytes;
      stream.unackedBytes = 0;
    }
  }

  /**
   * Frames written in one tick go out in one system call: the first write corks the socket and a
   * nextTick uncorks it (many streams' frames, or a HEADERS and its DATA, share a writev). Once the
   * connection has written in this turn of the event loop, later writes in the same turn wait for
   * its end (setImmediate): under load one turn runs the callbacks of hundreds of sockets (upstream
   * responses for many streams of this connection), and they then share one writev instead of taking
   * a system call each, as nginx posts its HTTP/2 writes until its events are handled. A lone
   * request, the common case at light load, still goes out at once. A batch goes out every
   * FLUSH_EVERY_WRITES writes without waiting for its end.
   */
  protected writeRaw(bytes: Buffer): void {
    if (this.closed) return;
    this.cork();
    this.socket.write(bytes);
    if (++this.corkedWrites === FLUSH_EVERY_WRITES) {
      // Out now; the socket stays corked for the rest, and held chunks stay held (sendBodyHoldingTail).
      this.corkedWrites = 0;
      this.socket.uncork();
      this.socket.cork();
    }
  }

  protected cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    const turn = currentLoopTurn();
    if (this.flushedInTurn === turn) {
      setImmediate(uncork, this);
    } else {
      this.flushedInTurn = turn;
      process.nextTick(uncork, this);
    }
  }

  uncork(): void {
    if (!this.corked) return;
    // The chunks held back in this tick are framed before its writes go out.
    if (this.tails.size > 0) {
      for (const stream of this.tails) if (!stream.closed) this.releaseTail(stream);
      this.tails.clear();
    }
    this.corked = false;
    this.corkedWrites = 0;
    this.socket.uncork();
  }
}

function uncork(connection: H2Connection<FlowStream>): void {
  connection.uncork();
}
