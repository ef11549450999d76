// Token buckets by key: `requestsPerSecond` refill, `burst` capacity. The `rate-limit` filter's in one
// process; with workers, the primary's (token-lease-authority.ts), which lends tokens to the workers.
import { performance } from 'node:perf_hooks';

/** Buckets kept at most; the least recently refilled ones go first (a flood of keys cannot grow memory). */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

/** What a take answers: how many tokens were granted, and when one is there again if none was. */
export interface Grant {
  readonly granted: number;
  /** Milliseconds until a token is there (0 when any was granted). */
  readonly waitMs: number;
}

/** Where a rate-limit filter takes its tokens: here, or from the primary over IPC. */
export interface TokenSource {
  /** One token for `key`: 0 when granted, else the milliseconds until one is there. */
  take(key: string): number | Promise<number>;
}

export class TokenBuckets implements TokenSource {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly ratePerSecond: number, readonly burst: number) {}

  /** Takes one token for `key`; returns 0 when granted, else the milliseconds until one is there. */
  take(key: string, nowMs = performance.now()): number {
    const g = this.takeUpTo(key, 1, nowMs);
    return g.granted === 1 ? 0 : g.waitMs;
  }

  /** Takes as many of `wanted` tokens as `key`'s bucket holds. */
  takeUpTo(key: string, wanted: number, nowMs = performance.now()): Grant {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, atMs: nowMs };
    } else {
      this.buckets.delete(key);
      b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.atMs) * this.ratePerSecond) / 1000);
      b.atMs = nowMs;
    }
    this.buckets.set(key, b);
    const granted = Math.max(0, Math.min(wanted, Math.floor(b.tokens)));
    if (granted > 0) {
      b.tokens -= granted;
      return { granted, waitMs: 0 };
    }
    return { granted: 0, waitMs: Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSecond) };
  }
}
