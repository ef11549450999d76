// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1), strict: bad sizes, missing
// CRLFs and bare LFs are errors, never guesses, so a response cannot smuggle a second one.
// Data is handed out as views of the input buffers (no copies).

const enum State {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  FinalLf,
  Done,
}

/** 13 hex digits already exceed 2^52: anything longer is an attack or garbage. */
const MAX_SIZE_DIGITS = 13;
/** Trailers are read and dropped; this bounds the bytes they may take. */
const MAX_TRAILER_BYTES = 16 * 1024;

export type ChunkedResult = 'more' | 'done' | 'error';

export class ChunkedDecoder {
  private state = State.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private trailerBytes = 0;
  /** Bytes of the last input left after the terminating chunk (the next message's start). */
  leftover: Buffer | undefined;
  error = '';

  /**
   * Decodes `buf`, calling `onData` with each piece of body. Returns 'done' after the last chunk and
   * trailers (then `leftover` holds any bytes after them), 'error' with `error` set, else 'more'.
   */
  decode(buf: Buffer, onData: (data: Buffer) => void): ChunkedResult {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          onData(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          continue;
        }
        case State.Size: {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) return this.fail('chunk size too long');
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) {
            return this.fail('chunk size missing');
          } else if (c === 0x3b /* ; */) {
            this.state = State.Ext;
          } else if (c === 0x0d) {
            this.state = State.SizeLf;
          } else {
            return this.fail('bad character in chunk size');
          }
          break;
        }
        case State.Ext: {
          const c = buf[i]!;
          if (c === 0x0d) this.state = State.SizeLf;
          else if (c === 0x0a) return this.fail('bare LF in chunk extension');
          break;
        }
        case State.SizeLf:
          if (buf[i] !== 0x0a) return this.fail('chunk size not followed by CRLF');
          if (this.size === 0) {
            this.state = State.TrailerStart;
          } else {
            this.remaining = this.size;
            this.state = State.Data;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case State.DataCr:
          if (buf[i] !== 0x0d) return this.fail('chunk data longer than its size');
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== 0x0a) return this.fail('chunk data not followed by CRLF');
          this.state = State.Size;
          break;
        case State.TrailerStart:
          if (buf[i] === 0x0d) {
            this.state = State.FinalLf;
          } else {
            this.state = State.TrailerLine;
            continue;
          }
          break;
        case State.TrailerLine: {
          const c = buf[i]!;
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail('trailers too large');
          if (c === 0x0d) this.state = State.TrailerLf;
          else if (c === 0x0a) return this.fail('bare LF in trailer');
          break;
        }
        case State.TrailerLf:
          if (buf[i] !== 0x0a) return this.fail('trailer not followed by CRLF');
          this.state = State.TrailerStart;
          break;
        case State.FinalLf:
          if (buf[i] !== 0x0a) return this.fail('last chunk not followed by CRLF');
          this.state = State.Done;
          i++;
          this.leftover = i < n ? buf.subarray(i) : undefined;
          return 'done';
        case State.Done:
          return 'done';
      }
      i++;
    }
    return this.state === State.Done ? 'done' : 'more';
  }

  private fail(message: string): ChunkedResult {
    this.error = message;
    return 'error';
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
