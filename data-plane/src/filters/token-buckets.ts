// Token buckets by key: `requestsPerSecond` refill, `burst` capacity. The `rate-limit` filter's in one
// process; with workers, the primary's (token-lease-authority.ts), which lends tokens to the workers.
// The arithmetic and the bound on buckets kept are the shared TokenBucketMap's.
import { performance } from 'node:perf_hooks';
import { TokenBucketMap, type Grant } from '../../../proto/src/rate-limit/token-bucket-map.js';

export type { Grant } from '../../../proto/src/rate-limit/token-bucket-map.js';

/** Buckets kept at most; the least recently refilled ones go first (a flood of keys cannot grow memory). */
const MAX_BUCKETS = 100_000;

/** Where a rate-limit filter takes its tokens: here, or from the primary over IPC. */
export interface TokenSource {
  /** One token for `key`: 0 when granted, else the milliseconds until one is there. */
  take(key: string): number | Promise<number>;
}

export class TokenBuckets implements TokenSource {
  private readonly buckets = new TokenBucketMap(MAX_BUCKETS);

  constructor(readonly ratePerSecond: number, readonly burst: number) {}

  /** Takes one token for `key`; returns 0 when granted, else the milliseconds until one is there. */
  take(key: string, nowMs = performance.now()): number {
    const g = this.takeUpTo(key, 1, nowMs);
    return g.granted === 1 ? 0 : g.waitMs;
  }

  /** Takes as many of `wanted` tokens as `key`'s bucket holds. */
  takeUpTo(key: string, wanted: number, nowMs = performance.now()): Grant {
    return this.buckets.take(key, wanted, this.ratePerSecond, this.burst, nowMs);
  }
}
