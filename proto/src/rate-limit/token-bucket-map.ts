// Token buckets by key, the arithmetic both planes share: a proxy's own `rate-limit` buckets
// (data-plane/src/filters/token-buckets.ts) and the control plane's buckets of `scope: mesh` limits,
// which proxies borrow from (control-plane/src/rate-limit/mesh-token-buckets.ts). Each take refills
// the bucket for the time since the last one, then takes what it holds. Buckets kept are bounded: the
// least recently used go first, so a flood of keys cannot grow memory.

/** What a take answers: how many tokens were granted, and when one is there again if none was. */
export interface Grant {
  readonly granted: number;
  /** Milliseconds until a token is there (0 when any was granted). */
  readonly waitMs: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class TokenBucketMap {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxBuckets: number) {}

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes as many of `wanted` tokens as `key`'s bucket holds, the bucket refilled at `ratePerSecond`
   * up to `capacity` (a new bucket starts full).
   */
  take(key: string, wanted: number, ratePerSecond: number, capacity: number, nowMs: number): Grant {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: capacity, atMs: nowMs };
    } else {
      // Most recently used last.
      this.buckets.delete(key);
      b.tokens = Math.min(capacity, b.tokens + ((nowMs - b.atMs) * ratePerSecond) / 1000);
      b.atMs = nowMs;
    }
    this.buckets.set(key, b);
    const granted = Math.max(0, Math.min(wanted, Math.floor(b.tokens)));
    if (granted > 0) {
      b.tokens -= granted;
      return { granted, waitMs: 0 };
    }
    return { granted: 0, waitMs: Math.ceil(((1 - b.tokens) * 1000) / ratePerSecond) };
  }
}
