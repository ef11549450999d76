// The control plane's token buckets for `scope: mesh` rate limits, from which proxies borrow
// (RateLimitService.Borrow). A bucket per filter instance, rate, burst and bucket key, holding
// burst × share and refilled at rate × share (fleet-share.ts): a changed limit starts a fresh bucket,
// and a change of share applies from the next refill. Buckets kept are bounded: the least recently
// used go first, so a flood of keys cannot grow memory (the shared TokenBucketMap).
import { performance } from 'node:perf_hooks';
import { TokenBucketMap, type Grant } from '../../../proto/src/rate-limit/token-bucket-map.js';

const MAX_BUCKETS = 100_000;

export interface BorrowAsk {
  readonly instanceKey: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly bucketKey: string;
  readonly wanted: number;
}

/** What a borrow answers (the shared Grant): tokens lent, or when one is there again. */
export type BorrowGrant = Grant;

export class MeshTokenBuckets {
  private readonly buckets: TokenBucketMap;

  constructor(private readonly share: () => number, maxBuckets = MAX_BUCKETS) {
    this.buckets = new TokenBucketMap(maxBuckets);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Lends as many of `ask.wanted` tokens as the bucket holds; the caller checked the ask's bounds. */
  borrow(ask: BorrowAsk, nowMs = performance.now()): BorrowGrant {
    const share = this.share();
    // At least one token, or a burst of 1 shared by two replicas would admit nothing anywhere.
    const capacity = Math.max(1, ask.burst * share);
    // The instance key's length first: no key can be read as another's.
    const id = `${ask.instanceKey.length}:${ask.instanceKey}|${ask.ratePerSecond}|${ask.burst}|${ask.bucketKey}`;
    return this.buckets.take(id, ask.wanted, ask.ratePerSecond * share, capacity, nowMs);
  }
}
