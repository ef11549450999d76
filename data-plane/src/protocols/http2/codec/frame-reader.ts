// Cuts a byte stream into HTTP/2 frames. A frame that arrives in pieces waits here until it is whole
// (at most the advertised SETTINGS_MAX_FRAME_SIZE plus its 9-byte header); each whole frame goes to
// the sink as a view of the bytes read, with no copy unless it spanned reads.
import { FRAME_HEADER_BYTES, H2ErrorCode } from './frame.js';

export interface FrameSink {
  /** One whole frame. `payload` is a view of bytes the caller may keep (they are never reused). */
  onFrame(type: number, flags: number, streamId: number, payload: Buffer): void;
  /** The byte stream broke the framing rules: the connection must end with this GOAWAY code. */
  onFramingError(code: number, message: string): void;
}

export class FrameReader {
  private pending: Buffer | undefined;
  private failed = false;

  constructor(
    /** Our SETTINGS_MAX_FRAME_SIZE: a longer frame is a FRAME_SIZE_ERROR (RFC 9113 §4.2). */
    private readonly maxFrameSize: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let off = 0;
    const end = buf.length;
    while (end - off >= FRAME_HEADER_BYTES) {
      const length = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
      if (length > this.maxFrameSize) {
        this.failed = true;
        this.sink.onFramingError(H2ErrorCode.FRAME_SIZE_ERROR, `a ${length}-byte frame exceeds the ${this.maxFrameSize}-byte SETTINGS_MAX_FRAME_SIZE`);
        return;
      }
      const start = off + FRAME_HEADER_BYTES;
      if (end - start < length) break;
      const streamId = buf.readUInt32BE(off + 5) & 0x7fff_ffff;
      off = start + length;
      this.sink.onFrame(buf[start - 6]!, buf[start - 5]!, streamId, buf.subarray(start, off));
      // The sink may have ended the connection (a protocol error): read no further.
      if (this.failed) return;
    }
    if (off < end) this.pending = buf.subarray(off);
  }

  /** Stops reading: later bytes are ignored (the connection is closing). */
  stop(): void {
    this.failed = true;
    this.pending = undefined;
  }
}
