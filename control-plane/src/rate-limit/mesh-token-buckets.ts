// The control plane's token buckets for `scope: mesh` rate limits, from which proxies borrow
// (RateLimitService.Borrow). A bucket per filter instance, rate, burst and bucket key, holding
// burst × share and refilled at rate × share (fleet-share.ts): a changed limit starts a fresh bucket,
// and a change of share applies from the next refill. Buckets kept are bounded: the least recently
// used go first, so a flood of keys cannot grow memory.
import { performance } from 'node:perf_hooks';

const MAX_BUCKETS = 100_000;

export interface BorrowAsk {
  readonly instanceKey: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly bucketKey: string;
  readonly wanted: number;
}

export interface BorrowGrant {
  readonly granted: number;
  /** Milliseconds until a token is there again (0 when any was granted). */
  readonly waitMs: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class MeshTokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly share: () => number, private readonly maxBuckets = MAX_BUCKETS) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Lends as many of `ask.wanted` tokens as the bucket holds; the caller checked the ask's bounds. */
  borrow(ask: BorrowAsk, nowMs = performance.now()): BorrowGrant {
    const share = this.share();
    const rate = ask.ratePerSecond * share;
    // At least one token, or a burst of 1 shared by two replicas would admit nothing anywhere.
    const capacity = Math.max(1, ask.burst * share);
    // The instance key's length first: no key can be read as another's.
    const id = `${ask.instanceKey.length}:${ask.instanceKey}|${ask.ratePerSecond}|${ask.burst}|${ask.bucketKey}`;
    let b = this.buckets.get(id);
    if (b === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: capacity, atMs: nowMs };
    } else {
      this.buckets.delete(id);
      b.tokens = Math.min(capacity, b.tokens + ((nowMs - b.atMs) * rate) / 1000);
      b.atMs = nowMs;
    }
    this.buckets.set(id, b);
    const granted = Math.max(0, Math.min(ask.wanted, Math.floor(b.tokens)));
    if (granted > 0) {
      b.tokens -= granted;
      return { granted, waitMs: 0 };
    }
    return { granted: 0, waitMs: Math.ceil(((1 - b.tokens) * 1000) / rate) };
  }
}
