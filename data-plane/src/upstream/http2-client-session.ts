// One HTTP/2 connection to an upstream, on Sluice's own codec (frames, HPACK, flow control) rather
// than node:http2's client, whose per-stream cost (an AsyncResource, a Duplex, option validation)
// doubled what a request through an H2C upstream cost. The session multiplexes streams, keeps both
// directions within their flow-control windows, answers PING and SETTINGS, and on GOAWAY takes no new
// streams while the ones the server accepted finish. Failures end in ProxyErrors on the streams.
import type { Socket } from 'node:net';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { H2Connection, type QueuedBody } from '../protocols/http2/codec/h2-connection.js';
import { CLIENT_PREFACE, H2ErrorCode, MAX_STREAM_ID, SettingId, h2ErrorName } from '../protocols/http2/codec/frame.js';
import { goawayFrame, headerFrames, rstStreamFrame, settingsFrame } from '../protocols/http2/codec/frame-writer.js';
import { HpackDecoder } from '../protocols/http2/hpack/hpack-decoder.js';
import { STREAM_WINDOW_BYTES } from '../protocols/http2/h2-settings.js';

/** The largest response header block Sluice takes from an upstream, as for HTTP/1.1 response heads. */
export const MAX_RESPONSE_HEADER_LIST_BYTES = 64 * 1024;
const MAX_RESPONSE_HEADER_COUNT = 1000;
/** A header block's raw fragments (HEADERS + CONTINUATION) past this are refused (CONTINUATION floods). */
const MAX_HEADER_BLOCK_BYTES = 2 * MAX_RESPONSE_HEADER_LIST_BYTES;
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
  /** Request body waiting for window (its end too, once the request ended). */
  readonly queued: QueuedBody[] = [];
  queuedBytes = 0;
  sentBytes = 0;
  tail: QueuedBody | undefined;
  /** endBody() was called (the end may still wait in the queue). */
  endRequested = false;
  /** END_STREAM went out. */
  localEnded = false;
  remoteEnded = false;
  /** Response body held while the owner is paused. */
  held: Buffer[] | undefined;
  /** Trailers that came while body was held: they follow it. */
  heldTrailers: string[] | undefined;
  paused = false;
  wantsDrain = false;
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

export class Http2ClientSession extends H2Connection<ClientStream> {
  private readonly decoder = new HpackDecoder({
    maxTableSize: 4096,
    maxHeaderListSize: MAX_RESPONSE_HEADER_LIST_BYTES,
    maxHeaderCount: MAX_RESPONSE_HEADER_COUNT,
    errorCode: ProxyErrorCode.UpstreamProtocol,
  });
  private nextStreamId = 1;
  peerMaxConcurrentStreams = Infinity;
  /** Streams handed out for this session by its pool (a stream slot may be taken before it opens). */
  streamsTaken = 0;
  private reserved = 0;
  ready = false;
  draining = false;

  constructor(socket: Socket, private readonly owner: SessionOwner) {
    super(socket, MAX_HEADER_BLOCK_BYTES);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
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
    this.widenConnectionWindow();
  }

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
    stream.endRequested = endStream;
    this.streams.set(id, stream);
    this.writeRaw(headerFrames(id, this.encoder.encode(fields), endStream, this.peerMaxFrameSize));
    if (this.nextStreamId > MAX_STREAM_ID) this.startDraining();
    return stream;
  }

  /**
   * Request body; false when the caller should wait for `onWritable`. The tick's last chunk is held so
   * that an endBody() right after it (a gRPC call's message and its end arrive together) rides its
   * frame: the server handles one frame, as from a client that calls it directly.
   */
  writeBody(stream: ClientStream, chunk: Buffer): boolean {
    if (stream.closed || stream.endRequested || chunk.length === 0) return true;
    this.sendBodyHoldingTail(stream, chunk, false, undefined);
    if (stream.queued.length === 0 && !this.socket.writableNeedDrain) return true;
    stream.wantsDrain = true;
    return false;
  }

  /** Ends the request body (after whatever still waits for window). */
  endBody(stream: ClientStream): void {
    if (stream.closed || stream.endRequested) return;
    stream.endRequested = true;
    this.sendBodyHoldingTail(stream, EMPTY, true, undefined);
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
      if (!stream.events.onData(chunk)) stream.paused = true;
      if (stream.closed) return;
      this.consumed(stream, chunk.length);
    }
    if (stream.paused) return;
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
        stream.localEnded = stream.endRequested = true;
        this.dropQueued(stream);
      } else this.failStream(stream, error);
    }
    this.socket.destroy();
    this.owner.sessionClosed(this, error);
  }

  // ---- inbound, what only a client does ----

  protected onStreamData(stream: ClientStream, body: Buffer, endStream: boolean): void {
    if (endStream) stream.remoteEnded = true;
    if (body.length > 0) {
      if (stream.paused) (stream.held ??= []).push(body);
      else {
        if (!stream.events.onData(body)) stream.paused = true;
        if (stream.closed) return;
        this.consumed(stream, body.length);
      }
    }
    if (endStream && !stream.paused) this.finishResponse(stream);
  }

  protected onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
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

  protected onResetFrame(streamId: number, code: number): void {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return this.unknownStream(streamId, 'RST_STREAM');
    // A server that answered before the request body ended may stop the upload with NO_ERROR (RFC 9113
    // §8.1): the response stands.
    if (code === H2ErrorCode.NO_ERROR && stream.remoteEnded) {
      stream.localEnded = stream.endRequested = true;
      this.dropQueued(stream);
      // A paused owner still has the response's end (and maybe body and trailers) to hear: resume() finishes it.
      if (stream.responseEnded) this.removeStream(stream);
      return;
    }
    // REFUSED_STREAM guarantees the server did nothing with the request: a retry is safe.
    this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamReset, `the upstream reset the HTTP/2 stream (${h2ErrorName(code)})`), code === H2ErrorCode.REFUSED_STREAM);
  }

  protected peerSetting(id: number, value: number): boolean {
    if (id === SettingId.ENABLE_PUSH && value !== 0) {
      this.connectionError(H2ErrorCode.PROTOCOL_ERROR, 'a server may not enable push');
      return false;
    }
    if (id === SettingId.MAX_CONCURRENT_STREAMS) this.peerMaxConcurrentStreams = value;
    // MAX_HEADER_LIST_SIZE (advisory) and unknown settings change nothing here.
    return true;
  }

  protected settingsApplied(): void {
    this.owner.settingsChanged(this);
    if (!this.ready) {
      this.ready = true;
      this.owner.sessionReady(this);
    }
  }

  protected onGoaway(lastStreamId: number, code: number): void {
    this.startDraining();
    // Streams above the last id were never processed: they fail as retryable.
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId) this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamReset, `the upstream refused the HTTP/2 stream with GOAWAY (${h2ErrorName(code)})`), true);
    }
    if (this.activeStreams === 0) this.shutdown(H2ErrorCode.NO_ERROR);
  }

  /** A frame for a stream the session does not hold: one it closed (fine), or one it never opened. */
  protected unknownStream(streamId: number, what: string): void {
    if ((streamId & 1) === 0 || streamId >= this.nextStreamId) this.connectionError(H2ErrorCode.PROTOCOL_ERROR, `${what} on stream ${streamId}, which was never opened`);
  }

  // ---- outbound, what only a client does ----

  protected bodySent(stream: ClientStream, end: boolean): void {
    if (!end) return;
    stream.localEnded = true;
    this.closeIfDone(stream);
  }

  protected streamWritable(stream: ClientStream): void {
    stream.events.onWritable();
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
  protected streamError(stream: ClientStream, code: number, message: string, limit?: string): void {
    this.writeRaw(rstStreamFrame(stream.id, code));
    this.failStream(stream, new ProxyError(ProxyErrorCode.UpstreamProtocol, `HTTP/2 upstream stream error: ${message}`, limit === undefined ? {} : { limit }));
  }

  /** The connection broke the rules: GOAWAY with the code, every stream fails. */
  protected connectionError(code: number, message: string): void {
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

const EMPTY = Buffer.alloc(0);
