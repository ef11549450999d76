// Builds HTTP/2 frames as Buffers ready to write. Control frames are small and built whole; a DATA
// frame's 9-byte header is built apart so the body chunk itself is written without a copy.
import { FRAME_HEADER_BYTES, FrameFlag, FrameType } from './frame.js';

function header(out: Buffer, at: number, length: number, type: number, flags: number, streamId: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(streamId, at + 5);
}

/** A DATA frame's header; the payload (`length` bytes) is written right after it. */
export function dataFrameHeader(streamId: number, length: number, endStream: boolean): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header(out, 0, length, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
  return out;
}

/** A whole DATA frame, payload copied in: for small payloads, where one write beats two. */
export function dataFrame(streamId: number, payload: Uint8Array, start: number, end: number, endStream: boolean): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + end - start);
  header(out, 0, end - start, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
  out.set(payload.subarray(start, end), FRAME_HEADER_BYTES);
  return out;
}

/**
 * A header block as one HEADERS frame, followed by CONTINUATION frames when the block is longer than
 * the peer's SETTINGS_MAX_FRAME_SIZE, all in one Buffer (nothing may come between them on the wire).
 */
export function headerFrames(streamId: number, block: Buffer, endStream: boolean, maxFrameSize: number): Buffer {
  const frames = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = Buffer.allocUnsafe(block.length + frames * FRAME_HEADER_BYTES);
  let at = 0;
  for (let i = 0, from = 0; i < frames; i++) {
    const to = Math.min(block.length, from + maxFrameSize);
    const last = i === frames - 1;
    const type = i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    const flags = (last ? FrameFlag.END_HEADERS : 0) | (i === 0 && endStream ? FrameFlag.END_STREAM : 0);
    header(out, at, to - from, type, flags, streamId);
    block.copy(out, at + FRAME_HEADER_BYTES, from, to);
    at += FRAME_HEADER_BYTES + to - from;
    from = to;
  }
  return out;
}

/** SETTINGS with the given [id, value] pairs. */
export function settingsFrame(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + settings.length * 6);
  header(out, 0, settings.length * 6, FrameType.SETTINGS, 0, 0);
  settings.forEach(([id, value], i) => {
    out.writeUInt16BE(id, FRAME_HEADER_BYTES + i * 6);
    out.writeUInt32BE(value, FRAME_HEADER_BYTES + i * 6 + 2);
  });
  return out;
}

export const SETTINGS_ACK: Buffer = (() => {
  const out = Buffer.alloc(FRAME_HEADER_BYTES);
  header(out, 0, 0, FrameType.SETTINGS, FrameFlag.ACK, 0);
  return out;
})();

/** PING, or its acknowledgement carrying the same 8 bytes. */
export function pingFrame(payload: Uint8Array, ack: boolean): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
  header(out, 0, 8, FrameType.PING, ack ? FrameFlag.ACK : 0, 0);
  out.set(payload.subarray(0, 8), FRAME_HEADER_BYTES);
  return out;
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  header(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER_BYTES);
  return out;
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  header(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER_BYTES);
  return out;
}

export function goawayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const text = Buffer.from(debug, 'latin1');
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8 + text.length);
  header(out, 0, 8 + text.length, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId, FRAME_HEADER_BYTES);
  out.writeUInt32BE(code, FRAME_HEADER_BYTES + 4);
  text.copy(out, FRAME_HEADER_BYTES + 8);
  return out;
}
