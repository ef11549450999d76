// The primary's side of rate limits that hold across workers: the buckets of every rate-limit filter
// instance, from which the workers borrow tokens (leased-tokens.ts). A bucket is made at a worker's
// first request and made again when its rate or burst changed (a configuration update).
import { TokenBuckets, type Grant } from './token-buckets.js';
import type { TokenLeaseRequest } from './leased-tokens.js';

/** Filter instances whose buckets are kept at most; the least recently used go first. */
const MAX_INSTANCES = 10_000;
/** No worker asks for more than a burst; a bigger number is a bug, not a reason to grant it. */
const MAX_WANTED = 1_000_000;

export class TokenLeaseAuthority {
  private readonly instances = new Map<string, TokenBuckets>();

  grant(request: TokenLeaseRequest): Grant {
    const { instanceKey, ratePerSecond, burst, key, wanted } = request;
    if (!(ratePerSecond > 0) || !(burst >= 1) || !Number.isFinite(ratePerSecond) || !Number.isFinite(burst) || !(wanted >= 1)) return { granted: 0, waitMs: 1000 };
    let buckets = this.instances.get(instanceKey);
    if (buckets === undefined || buckets.ratePerSecond !== ratePerSecond || buckets.burst !== burst) {
      if (buckets === undefined && this.instances.size >= MAX_INSTANCES) this.instances.delete(this.instances.keys().next().value!);
      buckets = new TokenBuckets(ratePerSecond, burst);
    }
    // Most recently used last.
    this.instances.delete(instanceKey);
    this.instances.set(instanceKey, buckets);
    return buckets.takeUpTo(key, Math.min(Math.floor(wanted), MAX_WANTED));
  }
}
