// One HTTP/2 connection to an upstream, on Sluice's own codec (frames, HPACK, flow control) rather
// than node:http2's client, whose per-stream cost (an AsyncResource, a Duplex, option validation)
// doubled what a request through an H2C upstream cost. The session multiplexes streams, keeps both
// directions within their flow-control windows, answers PING and SETTINGS, and on GOAWAY takes no new
// streams while the ones the server accepted finish. Failures end in ProxyErrors on the streams.
import type { Socket } from 'node:net';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { FrameReader, type FrameSink } from '../protocols/http2/codec/frame-reader.js';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  FrameFlag,
  FrameType,
  H2ErrorCode,
  MAX_ALLOWED_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW_BYTES,
  SettingId,
  h2ErrorName,
} from '../protocols/http2/codec/frame.js';
import { SETTINGS_ACK, dataFrame, dataFrameHeader, goawayFrame, headerFrames, pingFrame, rstStreamFrame, settingsFrame, windowUpdateFrame } from '../protocols/http2/codec/frame-writer.js';
import { HpackDecoder } from '../protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../protocols/http2/hpack/hpack-encoder.js';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from '../protocols/http2/h2-settings.js';

/** The largest response header block Sluice takes from an upstream, as for HTTP/1.1 response heads. */
export const MAX_RESPONSE_HEADER_LIST_BYTES = 64 * 1024;
const MAX_RESPONSE_HEADER_COUNT = 1000;
/** A header block's raw fragments (HEADERS + CONTINUATION) past this are refused (CONTINUATION floods). */
const MAX_HEADER_BLOCK_BYTES = 2 * MAX_RESPONSE_HEADER_LIST_BYTES;
/** CONTINUATION frames one header block may take (empty ones would otherwise cost memory for nothing). */
const MAX_HEADER_BLOCK_FRAMES = 128;
/** Body chunks below this are copied behind their frame header: one buffer to write instead of two. */
const COPY_BELOW_BYTES = 1024;
/** Bytes queued to an upstream that does not read them before the connection is given up. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;
/** After GOAWAY and end(), a peer that never closes its side is cut off after this long. */
const CLOSE_GRACE_MS = 5_000;

/** What a stream's owner hears; each call comes at most once except onData and onWritable. */
export interface StreamEvents {
  /** A header block: the response head (or an informational 1xx head), or trailers when `endStream`. */
  onHeaders(fields: string[], endStream: boolean): void;
  /** Response body; return false to stop until `resume()`. */
  onData(chunk: Buffer): boolean;
  /** The response ended cleanly (END_STREAM from the server, all data delivered). */
  onEnd(): void;
  /** The stream ended without a complete response: reset, session lost. Comes after onClosed. */
  onError(error: ProxyError): void;
  /**
   * The server did not process the stream (REFUSED_STREAM, or a GOAWAY below its id): the request may
   * be sent again as it is (RFC 9113 §8.7). Otherwise as onError.
   */
  onRefused(error: ProxyError): void;
  /** Request body may be written again after `write` returned false. */
  onWritable(): void;
  /** The stream is gone from the session, however it ended (once; after onEnd, before onError). */
  onClosed(): void;
}

/** The session's side of one stream: ids, windows, and what waits on flow control. */
export class ClientStream {
  sendWindow: number;
  /** Bytes delivered to the owner and not yet given back to the server by WINDOW_UPDATE. */
  unackedBytes = 0;
  /** Bytes the server may still send before it must wait (our receive window as it sees it). */
  receiveWindow = STREAM_WINDOW_BYTES;
  /** Request body waiting for window: chunks, then `endQueued` once the request ended. */
  readonly queued: Buffer[] = [];
  queuedBytes = 0;
  endQueued = false;
  localEnded = false;
  remoteEnded = false;
  /** Response body held while the owner is paused. */
  held: Buffer[] | undefined;
  /** Trailers that came while body was held: they follow it. */
  heldTrailers: string[] | undefined;
  paused = false;
  wantsWritable = false;
  closed = false;
  responseEnded = false;

  constructor(readonly id: number, readonly events: StreamEvents, sendWindow: number) {
    this.sendWindow = sendWindow;
  }
}

export interface SessionOwner {
  /** The first SETTINGS from the server arrived: the session may carry streams. */
  sessionReady(session: Http2ClientSession): void;
  /** A stream of the session closed (its count went down). */
  streamClosed(session: Http2ClientSession): void;
  /** The server's SETTINGS changed (its stream limit may have). */
  settingsChanged(session: Http2ClientSession): void;
  /** The session will take no new streams (GOAWAY received, ids ran out). */
  sessionDraining(session: Http2ClientSession): void;
  /** The connection is gone. `error` says why, when it did not end cleanly. */
  sessionClosed(session: Http2ClientSession, error: ProxyError | undefined): void;
}

export class Http2ClientSession implements FrameSink {
  private readonly streams = new Map<number, ClientStream>();
  private readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE, this);
  private readonly encoder = new HpackEncoder();
  private readonly decoder = new HpackDecoder({
    maxTableSize: 4096,
    maxHeaderListSize: MAX_RESPONSE_HEADER_LIST_BYTES,
    maxHeaderCount: MAX_RESPONSE_HEADER_COUNT,
    errorCode: ProxyErrorCode.UpstreamProtocol,
  });
  private nextStreamId = 1;
  private sendWindow = DEFAULT_WINDOW_BYTES;
  private receiveWindow = DEFAULT_WINDOW_BYTES;
  private unackedBytes = 0;
  /** The server's SETTINGS, as far as Sluice needs them. */
  private peerInitialWindow = DEFAULT_WINDOW_BYTES;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  peerMaxConcurrentStreams = Infinity;
  /** Streams whose request body waits for window, in the order they started waiting. */
  private readonly blocked = new Set<ClientStream>();
  /** A header block being continued: its stream, fragments and END_STREAM flag. */
  private continuing: { streamId: number; fragments: Buffer[]; bytes: number; endStream: boolean } | undefined;
  private corked = false;
  /** Streams handed out for this session by its pool (a stream slot may be taken before it opens). */
  streamsTaken = 0;
  private reserved = 0;
  ready = false;
  draining = false;
  closed = false;

  constructor(readonly socket: Socket, private readonly owner: SessionOwner) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', (err: NodeJS.ErrnoException) => this.destroy(new ProxyError(ProxyErrorCode.UpstreamReset, `HTTP/2 connection failed: ${err.code ?? err.message}`, { cause: err })));
    socket.on('close', () => this.destroy(new ProxyError(ProxyErrorCode.UpstreamReset, 'HTTP/2 connection closed by the upstream')));
    this.writeRaw(CLIENT_PREFACE);
    this.writeRaw(
      settingsFrame([
        [SettingId.ENABLE_PUSH, 0],
        [SettingId.INITIAL_WINDOW_SIZE, STREAM_WINDOW_BYTES],
        [SettingId.MAX_HEADER_LIST_SIZE, MAX_RESPONSE_HEADER_LIST_BYTES],
      ]),
    );
    this.writeRaw(windowUpdateFrame(0, CONNECTION_WINDOW_BYTES - DEFAULT_WINDOW_BYTES));
    this.receiveWindow = CONNECTION_WINDOW_BYTES;
  }

  /** Open streams and slots taken for streams about to open. */
  get activeStreams(): number {
    return this.streams.size + this.reserved;
  }

  /** Whether one more stream may open now, under `limit` and the server's own. */
  canOpen(limit: number): boolean {
    return this.ready && !this.draining && !this.closed && this.streams.size + this.reserved < Math.min(limit, this.peerMaxConcurrentStreams);
  }

  /** Takes a stream slot for a request whose head is not ready yet (open() or unreserve() follows). */
  reserve(): void {
    this.reserved++;
  }

  /** Gives back a slot that was never opened. */
  unreserve(): void {
    this.reserved--;
    this.owner.streamClosed(this);
    if (this.draining && this.activeStreams === 0) this.shutdown(H2ErrorCode.NO_ERROR);
  }

  /**
   * Opens a stream in a reserved slot with the request head; its body follows with `writeBody` unless
   * `endStream`. Undefined when the session can take no stream any more (it was lost or told to go
   * away since the slot was reserved): the slot is given back.
   */
  open(fields: string[], endStream: boolean, events: StreamEvents): ClientStream | undefined {
    // A GOAWAY may have come between the slot's reservation and now: the server would ignore the stream.
    if (this.closed || this.draining || this.nextStreamId > MAX_STREAM_ID) {
      this.unreserve();
      return undefined;
    }
    this.reserved--;
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new ClientStream(id, events, this.peerInitialWindow);
    stream.localEnded = endStream;
    this.streams.set(id, stream);
    this.writeRaw(headerFrames(id, this.encoder.encode(fields), endStream, this.peerMaxFrameSize));
    if (this.nextStreamId > MAX_STREAM_ID) this.startDraining();
    return stream;
  }

  /** Request body; false when the caller should wait for `onWritable`. */
  writeBody(stream: ClientStream, chunk: Buffer): boolean {
    if (stream.closed || stream.localEnded || chunk.length === 0) return true;
    if (stream.queuedBytes === 0) {
      const sent = this.sendData(stream, chunk, 0, false);
      if (sent === chunk.length) {
        if (!this.socket.writableNeedDrain) return true;
        stream.wantsWritable = true;
        return false;
      }
      chunk = chunk.subarray(sent);
    }
    stream.queued.push(chunk);
    stream.queuedBytes += chunk.length;
    this.blocked.add(stream);
    stream.wantsWritable = true;
    return false;
  }

  /** Ends the request body (after whatever still waits for window). */
  endBody(stream: ClientStream): void {
    if (stream.closed || stream.localEnded) return;
    if (stream.queuedBytes > 0) {
      stream.endQueued = true;
      return;
    }
    stream.localEnded = true;
    this.writeRaw(dataFrameHeader(stream.id, 0, true));
    this.closeIfDone(stream);
  }

  pause(stream: ClientStream): void {
    stream.paused = true;
  }

  /** Delivers what was held while paused, then gives the window back. */
  resume(stream: ClientStream): void {
    if (!stream.paused || stream.closed) return;
    stream.paused = false;
    const held = stream.held;
    while (held !== undefined && held.length > 0 && !stream.paused) {
      const chunk = held.shift()!;
      stream.unackedBytes += chunk.length;
      if (!stream.events.onData(chunk)) stream.paused = true;
      if (stream.closed) return;
    }
    if (stream.paused) return;
    this.ackStream(stream);
    const trailers = stream.heldTrailers;
    if (trailers !== undefined) {
      stream.heldTrailers = undefined;
      stream.events.onHeaders(trailers, true);
    }
    if (stream.remoteEnded) this.finishResponse(stream);
  }

  /** Ends a stream early (RST_STREAM CANCEL); its owner hears only onClosed. */
  cancel(stream: ClientStream): void {
    if (stream.closed) return;
    this.writeRaw(rstStreamFrame(stream.id, H2ErrorCode.CANCEL));
    this.removeStream(stream);
  }

  /** Takes no new streams; closes once the open ones end. */
  close(): void {
    this.startDraining();
    if (this.activeStreams === 0) this.shutdown(H2ErrorCode.NO_ERROR);
  }

  /** Ends everything now: every open stream fails with `error`. */
  destroy(error: ProxyError): void {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    this.reader.stop();
    for (const stream of [...this.streams.values()]) {
      // The whole response arrived and waits for a paused owner: it stands, delivered on resume().
      if (stream.remoteEnded && !stream.responseEnded) {
        stream.localEnded = true;
        this.dropQueued(stream);
      } else this.failStream(stream, error);
    }
    this.socket.destroy();
    this.owner.sessionClosed(this, error);
  }

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
        return this.onResetFrame(streamId, payload);
      case FrameType.SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case FrameType.PING:
        if (streamId !== 0 || payload.length !== 8) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed PING');
        if ((flags & FrameFlag.ACK) !== 0) return;
        if (this.floodingUs()) return;
        this.writeRaw(pingFrame(payload, true));
        return;
      case FrameType.GOAWAY:
        return this.onGoaway(streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.PUSH_PROMISE:
        return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      case FrameType.PRIORITY:
        if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
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
    // Flow control counts the whole payload, padding included.
    const length = payload.length;
    if (length > this.receiveWindow) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection window');
    this.receiveWindow -= length;
    this.unackedBytes += length;
    if (this.unackedBytes >= CONNECTION_WINDOW_BYTES / 2) {
      this.writeRaw(windowUpdateFrame(0, this.unackedBytes));
      this.receiveWindow += this.unackedBytes;
      this.unackedBytes = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return this.unknownStream(streamId, 'DATA');
    if (stream.remoteEnded) return this.streamError(stream, H2ErrorCode.STREAM_CLOSED, 'DATA after the response ended');
    if (length > stream.receiveWindow) return this.streamError(stream, H2ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream window');
    stream.receiveWindow -= length;
    let body = payload;
    if ((flags & FrameFlag.PADDED) !== 0) {
      const pad = length > 0 ? payload[0]! : 0;
      if (length === 0 || pad >= length) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than its frame');
      body = payload.subarray(1, length - pad);
      // Padding is consumed at once; it never reaches the owner.
      stream.unackedBytes += length - body.length;
    }
    const endStream = (flags & FrameFlag.END_STREAM) !== 0;
    if (endStream) stream.remoteEnded = true;
    if (body.length > 0) {
      if (stream.paused) (stream.held ??= []).push(body);
      else {
        stream.unackedBytes += body.length;
        if (!stream.events.onData(body)) stream.paused = true;
        if (stream.closed) return;
      }
    }
    if (!stream.paused) this.ackStream(stream);
    if (endStream && !stream.paused) this.finishResponse(stream);
  }

  private onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if ((flags & FrameFlag.PADDED) !== 0) {
      const pad = end > 0 ? payload[0]! : 0;
      start = 1;
      end -= pad;
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
    if (c.bytes > MAX_HEADER_BLOCK_BYTES) return this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, `a header block over ${MAX_HEADER_BLOCK_BYTES} bytes`);
    if (c.fragments.length >= MAX_HEADER_BLOCK_FRAMES) return this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, `a header block in over ${MAX_HEADER_BLOCK_FRAMES} frames`);
    c.fragments.push(payload);
    if ((flags & FrameFlag.END_HEADERS) === 0) return;
    this.continuing = undefined;
    this.onHeaderBlock(streamId, Buffer.concat(c.fragments, c.bytes), c.endStream);
  }

  private onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    let fields: string[];
    let limitError: ProxyError | undefined;
    try {
      fields = this.decoder.decode(block);
    } catch (err) {
      // Over a size limit the decoder still read the whole block (the table stays in step): only this
      // stream fails. Anything else broke the shared HPACK state: the connection ends.
      if (err instanceof ProxyError && err.limit !== undefined) {
        limitError = err;
        fields = [];
      } else return this.connectionError(H2ErrorCode.COMPRESSION_ERROR, `response headers could not be decoded: ${(err as Error).message}`);
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return this.unknownStream(streamId, 'HEADERS');
    if (stream.remoteEnded) return this.streamError(stream, H2ErrorCode.STREAM_CLOSED, 'HEADERS after the response ended');
    if (limitError !== undefined) return this.streamError(stream, H2ErrorCode.PROTOCOL_ERROR, `response headers over the limit: ${limitError.message}`, limitError.limit);
    if (endStream) stream.remoteEnded = true;
    // Trailers wait behind body still held for a paused owner.
    if (stream.paused && endStream) {
      stream.heldTrailers = fields;
      return;
    }
    stream.events.onHeaders(fields, endStream);
    if (endStream && !stream.closed && !stream.paused) this.finishResponse(stream);
  }

  private onResetFrame(streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (payload.length !== 4) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed RST_STREAM');
    const stream = this.streams.get(streamId);
    if (stream === undefined) return this.unknownStream(streamId, 'RST_STREAM');
    const code = payload.readUInt32BE(0);
    // A server that answered before the request body ended may stop the upload with NO_ERROR (RFC 9113
    // §8.1): the response stands.
    if (code === H2ErrorCode.NO_ERROR && stream.remoteEnded) {
      stream.localEnded = true;
      this.dropQueued(stream);
      // A paused owner still has the response's end (and maybe body and trailers) to hear: resume() finishes it.
      if (stream.responseEnded) this.removeStream(stream);
      return;
    }
    // REFUSED_STREAM guarantees the server did nothing with the request: a retry is safe.
    this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamReset, `the upstream reset the HTTP/2 stream (${h2ErrorName(code)})`), code === H2ErrorCode.REFUSED_STREAM);
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if ((flags & FrameFlag.ACK) !== 0) {
      if (payload.length !== 0) this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS acknowledgement with a payload');
      return;
    }
    if (payload.length % 6 !== 0) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS payload not a multiple of 6 bytes');
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      switch (id) {
        case SettingId.HEADER_TABLE_SIZE:
          this.encoder.setPeerMaxTableSize(value);
          break;
        case SettingId.ENABLE_PUSH:
          if (value !== 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'a server may not enable push');
          break;
        case SettingId.MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrentStreams = value;
          break;
        case SettingId.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW_BYTES) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const stream of this.streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW_BYTES) return this.connectionError(H2ErrorCode.FLOW_CONTROL_ERROR, 'a stream window above 2^31-1');
          }
          break;
        }
        case SettingId.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} out of range`);
          this.peerMaxFrameSize = value;
          break;
        default:
          // MAX_HEADER_LIST_SIZE (advisory) and unknown settings change nothing here.
          break;
      }
    }
    if (this.floodingUs()) return;
    this.writeRaw(SETTINGS_ACK);
    this.flushBlocked();
    this.owner.settingsChanged(this);
    if (!this.ready) {
      this.ready = true;
      this.owner.sessionReady(this);
    }
  }

  private onGoaway(streamId: number, payload: Buffer): void {
    if (streamId !== 0) return this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (payload.length < 8) return this.connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'a malformed GOAWAY');
    const lastStreamId = payload.readUInt32BE(0) & 0x7fff_ffff;
    const code = payload.readUInt32BE(4);
    this.startDraining();
    // Streams above the last id were never processed: they fail as retryable.
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId) this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamReset, `the upstream refused the HTTP/2 stream with GOAWAY (${h2ErrorName(code)})`), true);
    }
    if (this.activeStreams === 0) this.shutdown(H2ErrorCode.NO_ERROR);
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
    if (stream.queuedBytes > 0 || stream.endQueued) this.flushStream(stream);
  }

  /**
   * A server that sends frames Sluice must answer (PING, SETTINGS) and does not read the answers: past
   * MAX_UNREAD_BYTES queued, the connection ends rather than growing without bound.
   */
  private floodingUs(): boolean {
    if (this.socket.writableLength <= MAX_UNREAD_BYTES) return false;
    this.connectionError(H2ErrorCode.ENHANCE_YOUR_CALM, `the upstream left over ${MAX_UNREAD_BYTES} bytes unread`);
    return true;
  }

  /** A frame for a stream the session does not hold: one it closed (fine), or one it never opened. */
  private unknownStream(streamId: number, what: string): void {
    if ((streamId & 1) === 0 || streamId >= this.nextStreamId) this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `${what} on stream ${streamId}, which was never opened`);
  }

  // ---- outbound ----

  /** Sends what the windows allow of chunk[from..]; returns how many bytes went. */
  private sendData(stream: ClientStream, chunk: Buffer, from: number, endStream: boolean): number {
    const room = Math.min(stream.sendWindow, this.sendWindow);
    let at = from;
    while (at < chunk.length && at - from < room) {
      const n = Math.min(chunk.length - at, this.peerMaxFrameSize, room - (at - from));
      const last = endStream && at + n === chunk.length;
      if (n < COPY_BELOW_BYTES) this.writeRaw(dataFrame(stream.id, chunk, at, at + n, last));
      else {
        this.writeRaw(dataFrameHeader(stream.id, n, last));
        this.writeRaw(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
      }
      at += n;
    }
    const sent = at - from;
    stream.sendWindow -= sent;
    this.sendWindow -= sent;
    return sent;
  }

  private flushStream(stream: ClientStream): void {
    while (stream.queued.length > 0) {
      const chunk = stream.queued[0]!;
      const sent = this.sendData(stream, chunk, 0, false);
      stream.queuedBytes -= sent;
      if (sent < chunk.length) {
        stream.queued[0] = chunk.subarray(sent);
        return;
      }
      stream.queued.shift();
    }
    this.blocked.delete(stream);
    if (stream.endQueued) {
      stream.endQueued = false;
      this.endBody(stream);
      if (stream.closed) return;
    }
    if (stream.wantsWritable && !this.socket.writableNeedDrain) {
      stream.wantsWritable = false;
      stream.events.onWritable();
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
      if (stream.wantsWritable && stream.queuedBytes === 0) {
        stream.wantsWritable = false;
        stream.events.onWritable();
      }
    }
  }

  /** Gives the server back the window of what the owner took, once half the window is used. */
  private ackStream(stream: ClientStream): void {
    if (stream.unackedBytes >= STREAM_WINDOW_BYTES / 2 && !stream.remoteEnded) {
      this.writeRaw(windowUpdateFrame(stream.id, stream.unackedBytes));
      stream.receiveWindow += stream.unackedBytes;
      stream.unackedBytes = 0;
    }
  }

  /**
   * Frames written in one tick go out in one system call: the first write corks the socket and a
   * nextTick uncorks it (many streams' requests, or a HEADERS and its DATA, share a writev).
   */
  private writeRaw(bytes: Buffer): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    this.socket.write(bytes);
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  // ---- endings ----

  private finishResponse(stream: ClientStream): void {
    if (stream.responseEnded || stream.closed) return;
    stream.responseEnded = true;
    stream.events.onEnd();
    this.closeIfDone(stream);
    // The response is whole but the request body is not: the server wants no more of it.
    if (!stream.closed && !stream.localEnded) this.cancel(stream);
  }

  private closeIfDone(stream: ClientStream): void {
    if (stream.localEnded && stream.responseEnded) this.removeStream(stream);
  }

  private dropQueued(stream: ClientStream): void {
    stream.queued.length = 0;
    stream.queuedBytes = 0;
    stream.endQueued = false;
    this.blocked.delete(stream);
  }

  private removeStream(stream: ClientStream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.dropQueued(stream);
    stream.held = undefined;
    this.streams.delete(stream.id);
    stream.events.onClosed();
    this.owner.streamClosed(this);
    if (this.draining && this.activeStreams === 0) this.shutdown(H2ErrorCode.NO_ERROR);
  }

  private failStream(stream: ClientStream, error: ProxyError, refused = false): void {
    if (stream.closed) return;
    const events = stream.events;
    const answered = stream.responseEnded;
    this.removeStream(stream);
    if (answered) return;
    if (refused) events.onRefused(error);
    else events.onError(error);
  }

  /** A stream broke the rules: reset it, fail its exchange; the connection carries on. */
  private streamError(stream: ClientStream, code: number, message: string, limit?: string): void {
    this.writeRaw(rstStreamFrame(stream.id, code));
    this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamProtocol, `HTTP/2 upstream stream error: ${message}`, limit === undefined ? {} : { limit }));
  }

  /** The connection broke the rules: GOAWAY with the code, every stream fails. */
  private connectionError(code: number, message: string): void {
    if (this.closed) return;
    this.reader.stop();
    this.writeRaw(goawayFrame(0, code, message));
    this.uncork();
    this.destroy(new ProxyError(ProxyErrorCode.UpstreamProtocol, `HTTP/2 upstream protocol error (${h2ErrorName(code)}): ${message}`));
  }

  private startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.owner.sessionDraining(this);
  }

  /** Clean close: GOAWAY, end our side, and cut the connection if the server does not close its own. */
  private shutdown(code: number): void {
    if (this.closed) return;
    this.writeRaw(goawayFrame(0, code));
    this.closed = true;
    // Nothing should be open here; should a count ever be wrong, no stream is left without an answer.
    for (const stream of [...this.streams.values()]) this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamReset, 'the HTTP/2 session closed'));
    this.reader.stop();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.owner.sessionClosed(this, undefined);
  }
}

function uncork(session: Http2ClientSession): void {
  session.uncork();
}
