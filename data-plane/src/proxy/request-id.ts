// Request ids: random UUIDs (version 4), as crypto.randomUUID makes them, for requests that arrive
// without an x-request-id. randomUUID builds its answer from 20 string concatenations (about 600 bytes
// of garbage a request); this writes the 36 characters into one scratch buffer and decodes it once.
import { randomFillSync } from 'node:crypto';

/** Random bytes for this many ids are drawn at once, as randomUUID caches them. */
const BATCH = 128;
const random = Buffer.allocUnsafe(16 * BATCH);
let next = random.length;
const text = Buffer.allocUnsafe(36);
/** ASCII hex digits of every byte: `hex[2 * b]`, `hex[2 * b + 1]`. */
const hex = Buffer.from(Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''), 'latin1');
/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text[8] = text[13] = text[18] = text[23] = 0x2d; // '-'

/** A new random (version 4) UUID in lowercase hex. */
export function newRequestId(): string {
  if (next === random.length) {
    randomFillSync(random);
    next = 0;
  }
  const from = next;
  next += 16;
  for (let i = 0; i < 16; i++) {
    let b = random[from + i]!;
    if (i === 6) b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // RFC 9562 variant
    const at = AT[i]!;
    text[at] = hex[2 * b]!;
    text[at + 1] = hex[2 * b + 1]!;
  }
  return text.toString('latin1', 0, 36);
}
