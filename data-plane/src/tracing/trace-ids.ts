// Random trace and span ids, cheap enough for every request: a proxy that propagates trace context
// makes a span id for every upstream try, sampled or not. crypto.randomFillSync fills a pool once per
// few hundred ids instead of once per id. Ids only need to be unique, not secret (OpenTelemetry's
// own generator uses Math.random).
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;
const ZEROS: Record<number, string> = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  // All zeros is the invalid id of W3C trace context: one chance in 2^64 or 2^128, but never send it.
  return hex === ZEROS[bytes] ? randomHex(bytes) : hex;
}

/** 32 lowercase hex digits, never all zeros. */
export function newTraceId(): string {
  return randomHex(16);
}

/** 16 lowercase hex digits, never all zeros. */
export function newSpanId(): string {
  return randomHex(8);
}
