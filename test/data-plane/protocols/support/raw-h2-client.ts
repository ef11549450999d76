// A raw HTTP/2 client for tests of the proxy's HTTP/2 listener, well-behaved or not: it connects to
// 127.0.0.1, sends the connection preface and a SETTINGS frame (the test picks the settings), and
// then writes whatever frames the test builds, valid or not (frame() takes any type, flags, stream id
// and payload). Every frame the server sends is kept in order; response header blocks are decoded with
// the project's HpackDecoder as they arrive (HPACK state is per connection, so every block is decoded
// in order). The server's SETTINGS are acknowledged unless the test says not to. Every wait is bounded:
// a frame that never comes or a connection that never closes fails the wait after its timeout.
import { connect as netConnect, type Socket } from 'node:net';
import { ProxyErrorCode } from '../../../../data-plane/src/errors.js';
import { CLIENT_PREFACE, FRAME_HEADER_BYTES, FrameFlag, FrameType, H2ErrorCode, h2ErrorName } from '../../../../data-plane/src/protocols/http2/codec/frame.js';
import { HpackDecoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-encoder.js';

export { FrameFlag, FrameType, h2ErrorName };
export { H2ErrorCode, SettingId } from '../../../../data-plane/src/protocols/http2/codec/frame.js';

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
  /** For the HEADERS or CONTINUATION frame that ends a header block: the block, decoded (flat names and values). */
  readonly fields?: string[];
}

/** Any frame, built by hand: a 9-byte header and the payload as given (no check at all). */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId >>> 0, 5);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** SETTINGS with the given [id, value] pairs (ack: an empty SETTINGS with ACK). */
export function settingsFrame(pairs: ReadonlyArray<readonly [number, number]> = [], ack = false): Buffer {
  const payload = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value >>> 0, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, ack ? FrameFlag.ACK : 0, 0, payload);
}

export function dataFrame(streamId: number, payload: Buffer | string, endStream = false): Buffer {
  return frame(FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId, typeof payload === 'string' ? Buffer.from(payload) : payload);
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code >>> 0);
  return frame(FrameType.RST_STREAM, 0, streamId, p);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment >>> 0);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, p);
}

export function pingFrame(payload: Buffer, ack = false): Buffer {
  return frame(FrameType.PING, ack ? FrameFlag.ACK : 0, 0, payload);
}

export function goawayFrame(lastStreamId: number, code: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastStreamId >>> 0, 0);
  p.writeUInt32BE(code >>> 0, 4);
  return frame(FrameType.GOAWAY, 0, 0, p);
}

/** The fields of a parsed GOAWAY frame. */
export interface GoAway {
  readonly lastStreamId: number;
  readonly code: number;
  readonly debug: string;
}

export function parseGoAway(f: Frame): GoAway {
  return { lastStreamId: f.payload.readUInt32BE(0) & 0x7fff_ffff, code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString('latin1') };
}

/** A request's pseudo-headers and fields, in order, as a flat list. */
export function getRequest(path = '/', more: string[] = [], authority = 'h2.test'): string[] {
  return [':method', 'GET', ':scheme', 'http', ':authority', authority, ':path', path, ...more];
}

export interface RawClientOptions {
  /** The SETTINGS frame sent after the preface (default: an empty one). */
  readonly settings?: ReadonlyArray<readonly [number, number]>;
  /** Send the preface and SETTINGS at once (default true). */
  readonly preface?: boolean;
  /** Acknowledge the server's SETTINGS (default true). */
  readonly ackSettings?: boolean;
  /** Keep every frame received (default true); with false only counts are kept (for floods), and SETTINGS, GOAWAY and roundTrip()'s PING ACKs. */
  readonly keepFrames?: boolean;
}

export class RawH2Client {
  /** Clients whose connection is open, so a test's clean-up can end them before it drains the proxy. */
  private static readonly open = new Set<RawH2Client>();

  /** Ends every open client connection to `port` (before the proxy's drain, which would wait for them). */
  static destroyAllTo(port: number): void {
    for (const c of RawH2Client.open) if (c.port === port) c.destroy();
  }

  /** Every frame the server sent, in order (when keepFrames). */
  readonly frames: Frame[] = [];
  /** Frames received by type, kept or not. */
  readonly counts = new Map<number, number>();
  /** HPACK state of this connection's request header blocks. */
  readonly encoder = new HpackEncoder();
  private readonly decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20, maxHeaderCount: 10_000, errorCode: ProxyErrorCode.UpstreamProtocol });
  private block: { streamId: number; fragments: Buffer[] } | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  /** Payloads of roundTrip() PINGs awaiting their ACK (kept even when keepFrames is false). */
  private readonly pendingPings = new Set<string>();
  /** The socket has closed (either side, any reason). */
  closed = false;
  /** Set when the socket closed with an error (a reset from the server, usually). */
  closeError: Error | undefined;
  /** Bytes the server sent that could not be parsed as frames (should stay empty). */
  parseError: string | undefined;
  readonly connectedAt = performance.now();
  /** The server's port. */
  port = 0;
  closedAt = 0;

  private constructor(
    readonly socket: Socket,
    private readonly options: RawClientOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => (this.closeError ??= err));
    RawH2Client.open.add(this);
    socket.on('close', () => {
      RawH2Client.open.delete(this);
      this.closed = true;
      this.closedAt = performance.now();
      this.wake();
    });
  }

  /** Connects to 127.0.0.1:port and (by default) sends the preface and SETTINGS in one write. */
  static async connect(port: number, options: RawClientOptions = {}): Promise<RawH2Client> {
    const socket = netConnect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const client = new RawH2Client(socket, options);
    client.port = port;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    if (options.preface !== false) client.write(CLIENT_PREFACE, settingsFrame(options.settings ?? []));
    return client;
  }

  /** Writes frames (or any bytes) in one write; false if the socket is gone or its buffer is full. */
  write(...chunks: Buffer[]): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }

  /** Waits (bounded) for the socket's write buffer to drain; false if it did not, or the socket closed. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    if (this.socket.writableLength === 0) return true;
    return await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }

  /** HEADERS (and CONTINUATION frames past 16384 bytes) with the block encoded by this connection's encoder. */
  headers(streamId: number, fields: string[], endStream = true): Buffer {
    return this.headersBlock(streamId, this.encoder.encode(fields), endStream);
  }

  /** A given header block (hand-built, say) as HEADERS + CONTINUATION frames of at most 16384 bytes. */
  headersBlock(streamId: number, block: Buffer, endStream = true, endHeaders = true): Buffer {
    const frames: Buffer[] = [];
    const max = 16_384;
    const count = Math.max(1, Math.ceil(block.length / max));
    for (let i = 0; i < count; i++) {
      const piece = block.subarray(i * max, Math.min(block.length, (i + 1) * max));
      const last = i === count - 1;
      const flags = (last && endHeaders ? FrameFlag.END_HEADERS : 0) | (i === 0 && endStream ? FrameFlag.END_STREAM : 0);
      frames.push(frame(i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId, piece));
    }
    return Buffer.concat(frames);
  }

  /** Sends the request's HEADERS now. */
  request(streamId: number, fields: string[], endStream = true): void {
    this.write(this.headers(streamId, fields, endStream));
  }

  /** Sends a PING and waits for its ACK: every frame sent before it has been read by the server. */
  async roundTrip(timeoutMs = 2000): Promise<void> {
    const payload = Buffer.from(Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0'), 'latin1');
    const from = this.frames.length;
    const key = payload.toString('latin1');
    this.pendingPings.add(key);
    try {
      this.write(pingFrame(payload));
      await this.waitForFrame((f) => f.type === FrameType.PING && (f.flags & FrameFlag.ACK) !== 0 && f.payload.equals(payload), timeoutMs, 'PING ACK', from);
    } finally {
      this.pendingPings.delete(key);
    }
  }

  /** The first frame from index `from` on that matches, waiting up to timeoutMs for it; rejects on timeout or close. */
  async waitForFrame(match: (f: Frame) => boolean, timeoutMs: number, what = 'a frame', from = 0): Promise<Frame> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.frames.length; i++) if (match(this.frames[i]!)) return this.frames[i]!;
      from = this.frames.length;
      if (this.closed) throw new Error(`connection closed before ${what}; frames: ${this.describe()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; frames: ${this.describe()}`);
      await this.next(left);
    }
  }

  /** The first frame matching, or undefined if none came within timeoutMs (or the connection closed first). */
  async maybeFrame(match: (f: Frame) => boolean, timeoutMs: number, from = 0): Promise<Frame | undefined> {
    try {
      return await this.waitForFrame(match, timeoutMs, 'a frame', from);
    } catch {
      return undefined;
    }
  }

  /** Whether the connection closed within timeoutMs. */
  async waitForClose(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await this.next(left);
    }
    return true;
  }

  /** The end of a stream as the server tells it: its response (status, fields, body, trailers) or its reset. */
  async waitForStreamEnd(streamId: number, timeoutMs: number): Promise<StreamOutcome> {
    await this.waitForFrame(
      (f) => f.streamId === streamId && (f.type === FrameType.RST_STREAM || ((f.type === FrameType.HEADERS || f.type === FrameType.DATA) && (f.flags & FrameFlag.END_STREAM) !== 0)),
      timeoutMs,
      `the end of stream ${streamId}`,
    );
    return this.outcome(streamId);
  }

  /**
   * Sends each case's fields as a request of its own (streams from `firstId`, odd ids) and says which
   * were not refused on their stream alone (RST_STREAM PROTOCOL_ERROR, no response). The blocks hold
   * literal fields only, so the two HPACK tables stay in step whatever the server does with a block.
   * Returns those failures and the next free stream id.
   */
  async sendEachExpectingStreamRefusal(cases: ReadonlyArray<readonly [string, readonly string[]]>, firstId = 1): Promise<{ failures: string[]; nextId: number }> {
    const failures: string[] = [];
    let id = firstId;
    for (const [name, fields] of cases) {
      const stream = id;
      id += 2;
      this.write(this.headersBlock(stream, plainBlock(fields)));
      const o = await this.waitForStreamEnd(stream, 3000).catch((err: Error) => err);
      if (o instanceof Error) {
        failures.push(`${name}: ${o.message.slice(0, 300)}`);
        if (this.closed) break;
      } else if (o.rstCode !== H2ErrorCode.PROTOCOL_ERROR || o.status !== undefined) {
        failures.push(`${name}: status ${o.status ?? '-'}, reset ${o.rstCode === undefined ? '-' : h2ErrorName(o.rstCode)} (want RST_STREAM PROTOCOL_ERROR)`);
      }
    }
    return { failures, nextId: id };
  }

  /** What the server has sent so far on a stream. */
  outcome(streamId: number): StreamOutcome {
    const on = this.frames.filter((f) => f.streamId === streamId);
    const blocks = on.filter((f) => f.fields !== undefined).map((f) => f.fields!);
    const head = blocks.find((b) => b[0] === ':status' && !/^1\d\d$/.test(b[1]!));
    const rst = on.find((f) => f.type === FrameType.RST_STREAM);
    const finalIndex = head === undefined ? -1 : blocks.indexOf(head);
    return {
      status: head === undefined ? undefined : Number(head[1]),
      informational: blocks.filter((b) => b[0] === ':status' && /^1\d\d$/.test(b[1]!)).map((b) => Number(b[1])),
      fields: head,
      trailers: finalIndex >= 0 && blocks.length > finalIndex + 1 ? blocks[finalIndex + 1] : undefined,
      body: Buffer.concat(on.filter((f) => f.type === FrameType.DATA).map((f) => dataPayload(f))),
      rstCode: rst === undefined ? undefined : rst.payload.readUInt32BE(0),
      ended: on.some((f) => (f.type === FrameType.HEADERS || f.type === FrameType.DATA) && (f.flags & FrameFlag.END_STREAM) !== 0),
    };
  }

  /** The GOAWAY frames received, parsed. */
  goaways(): GoAway[] {
    return this.frames.filter((f) => f.type === FrameType.GOAWAY).map(parseGoAway);
  }

  /** The server's first SETTINGS (not an ACK) as id → value. */
  serverSettings(): Map<number, number> | undefined {
    const f = this.frames.find((x) => x.type === FrameType.SETTINGS && (x.flags & FrameFlag.ACK) === 0);
    if (f === undefined) return undefined;
    const out = new Map<number, number>();
    for (let i = 0; i + 6 <= f.payload.length; i += 6) out.set(f.payload.readUInt16BE(i), f.payload.readUInt32BE(i + 2));
    return out;
  }

  /** A short account of what came back, for failure messages. */
  describe(limit = 30): string {
    const names = ['DATA', 'HEADERS', 'PRIORITY', 'RST_STREAM', 'SETTINGS', 'PUSH_PROMISE', 'PING', 'GOAWAY', 'WINDOW_UPDATE', 'CONTINUATION'];
    const parts = this.frames.slice(-limit).map((f) => {
      let extra = '';
      if (f.type === FrameType.RST_STREAM && f.payload.length >= 4) extra = ` ${h2ErrorName(f.payload.readUInt32BE(0))}`;
      if (f.type === FrameType.GOAWAY && f.payload.length >= 8) {
        const g = parseGoAway(f);
        extra = ` last=${g.lastStreamId} ${h2ErrorName(g.code)}${g.debug ? ` "${g.debug}"` : ''}`;
      }
      if (f.type === FrameType.WINDOW_UPDATE && f.payload.length >= 4) extra = ` +${f.payload.readUInt32BE(0)}`;
      if (f.fields !== undefined) extra = ` ${f.fields.slice(0, 6).join(' ')}`;
      if (f.type === FrameType.DATA) extra = ` ${f.payload.length}B`;
      return `${names[f.type] ?? f.type}(${f.streamId}${(f.flags & 1) !== 0 ? ',END/ACK' : ''})${extra}`;
    });
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    return `${total > limit ? `…${total - limit} earlier, ` : ''}[${parts.join(', ')}]${this.closed ? ' closed' : ''}${this.closeError ? ` (${(this.closeError as NodeJS.ErrnoException).code ?? this.closeError.message})` : ''}`;
  }

  /** Closes the connection now (idempotent). */
  destroy(): void {
    this.socket.destroy();
  }

  private next(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let off = 0;
    while (this.buffered.length - off >= FRAME_HEADER_BYTES) {
      const length = this.buffered.readUIntBE(off, 3);
      if (this.buffered.length - off < FRAME_HEADER_BYTES + length) break;
      const type = this.buffered[off + 3]!;
      const flags = this.buffered[off + 4]!;
      const streamId = this.buffered.readUInt32BE(off + 5) & 0x7fff_ffff;
      const payload = Buffer.from(this.buffered.subarray(off + FRAME_HEADER_BYTES, off + FRAME_HEADER_BYTES + length));
      off += FRAME_HEADER_BYTES + length;
      this.onFrame({ type, flags, streamId, payload });
    }
    this.buffered = off === this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(off);
    this.wake();
  }

  private onFrame(raw: Frame): void {
    this.counts.set(raw.type, (this.counts.get(raw.type) ?? 0) + 1);
    let f = raw;
    if (raw.type === FrameType.HEADERS || raw.type === FrameType.CONTINUATION) {
      const fields = this.decodeHeaders(raw);
      if (fields !== undefined) f = { ...raw, fields };
    }
    if (raw.type === FrameType.SETTINGS && (raw.flags & FrameFlag.ACK) === 0 && this.options.ackSettings !== false) this.write(settingsFrame([], true));
    const keep =
      this.options.keepFrames !== false ||
      raw.type === FrameType.GOAWAY ||
      raw.type === FrameType.SETTINGS ||
      (raw.type === FrameType.PING && this.pendingPings.has(raw.payload.toString('latin1')));
    if (keep) this.frames.push(f);
  }

  private decodeHeaders(f: Frame): string[] | undefined {
    if (f.type === FrameType.HEADERS) {
      let start = 0;
      let end = f.payload.length;
      if ((f.flags & FrameFlag.PADDED) !== 0) {
        start = 1;
        end -= f.payload[0]!;
      }
      if ((f.flags & FrameFlag.PRIORITY) !== 0) start += 5;
      this.block = { streamId: f.streamId, fragments: [f.payload.subarray(start, end)] };
    } else if (this.block !== undefined) {
      this.block.fragments.push(f.payload);
    } else return undefined;
    if ((f.flags & FrameFlag.END_HEADERS) === 0) return undefined;
    const fragments = this.block.fragments;
    this.block = undefined;
    try {
      return this.decoder.decode(Buffer.concat(fragments));
    } catch (err) {
      this.parseError = `HPACK: ${(err as Error).message}`;
      return ['x-hpack-error', (err as Error).message];
    }
  }
}

export interface StreamOutcome {
  /** The final (non-1xx) status, if a response head came. */
  readonly status: number | undefined;
  /** 1xx statuses received before it (100 Continue). */
  readonly informational: number[];
  /** The response head's fields, flat. */
  readonly fields: string[] | undefined;
  /** A trailing header block after the head, flat. */
  readonly trailers: string[] | undefined;
  readonly body: Buffer;
  /** The RST_STREAM code, if the server reset the stream. */
  readonly rstCode: number | undefined;
  /** The server ended its side (END_STREAM). */
  readonly ended: boolean;
}

/** A DATA frame's payload without its padding. */
export function dataPayload(f: Frame): Buffer {
  if ((f.flags & FrameFlag.PADDED) === 0) return f.payload;
  return f.payload.subarray(1, f.payload.length - f.payload[0]!);
}

/** The value of a field in a flat list, or undefined. */
export function field(fields: readonly string[] | undefined, name: string): string | undefined {
  if (fields === undefined) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** Bounded pause. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** RFC 7541 §5.1: an integer with an N-bit prefix under the representation's high bits. */
export function hpackInteger(high: number, prefixBits: number, value: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  value -= max;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

/** RFC 7541 §6.2: a literal field with a new (raw, not Huffman) name; `indexed` adds it to the dynamic table. */
export function hpackLiteral(name: string, value: string, indexed = false): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([indexed ? 0x40 : 0x00]), hpackInteger(0, 7, n.length), n, hpackInteger(0, 7, v.length), v]);
}

/** RFC 7541 §6.1: an indexed field (static 1–61, dynamic from 62, newest first). */
export function hpackIndexed(index: number): Buffer {
  return hpackInteger(0x80, 7, index);
}

/** A header block of literal fields that touch no table (§6.2.2): decodable whatever the peer's dynamic table holds. */
export function plainBlock(fields: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) parts.push(hpackLiteral(fields[i]!, fields[i + 1]!));
  return Buffer.concat(parts);
}
