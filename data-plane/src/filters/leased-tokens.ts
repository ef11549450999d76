// A worker's side of a rate limit that holds for the whole proxy. The primary holds the buckets
// (token-lease-authority.ts); a worker borrows tokens in small leases and spends them locally, so
// most requests cost no IPC. Tokens exist only where the primary granted them: the proxy as a whole
// never admits more than the configured rate and burst. A lease unused for LEASE_TTL_MS is dropped,
// so a worker that stopped receiving a key's requests does not keep its tokens from the others for
// long: that, and the tokens leased but not spent yet, can refuse a few requests early (at most a
// lease per worker and key; a lease is an eighth of the burst per worker, at least one token).
import { performance } from 'node:perf_hooks';
import { TokenBuckets, type Grant, type TokenSource } from './token-buckets.js';
import type { RateLimitScope } from './filter-context.js';

/** A worker's request to the primary for tokens of one bucket. */
export interface TokenLeaseRequest {
  /** The filter instance (FilterContext.instanceKey): its buckets. */
  readonly instanceKey: string;
  readonly ratePerSecond: number;
  readonly burst: number;
  /** The bucket's key (a client address, a header value, '' for one global bucket). */
  readonly key: string;
  readonly wanted: number;
  /** `mesh`: the primary borrows from the control plane (token-lease-authority.ts). Absent: `proxy`. */
  readonly scope?: RateLimitScope;
}

/** How a worker asks the primary; resolves undefined when no answer came in time. */
export type TokenLeaseChannel = (request: TokenLeaseRequest) => Promise<Grant | undefined>;

/** Tokens of a lease are spent within this long, or dropped. */
export const LEASE_TTL_MS = 1000;
/** Leases kept at most (keys by client address can be many); the oldest go first. */
const MAX_LEASES = 10_000;

interface Lease {
  tokens: number;
  untilMs: number;
  /**
   * The bucket was empty when last asked: until then requests are refused here without asking again,
   * so a flood of refused requests costs no IPC (nor, for `scope: mesh`, a Borrow each).
   */
  emptyUntilMs: number;
  /** Requests waiting for the primary's answer: each is told 0 (granted) or how long to wait. */
  readonly waiting: Array<(waitMs: number) => void>;
  asking: boolean;
}

export class LeasedTokens implements TokenSource {
  private readonly leases = new Map<string, Lease>();
  private readonly leaseSize: number;
  /** This worker's share of the bucket, for when the primary does not answer in time. */
  private readonly fallback: TokenBuckets;

  constructor(private readonly instanceKey: string, private readonly ratePerSecond: number, private readonly burst: number, workers: number, private readonly channel: TokenLeaseChannel, private readonly scope: RateLimitScope = 'proxy') {
    this.leaseSize = Math.max(1, Math.floor(burst / (8 * workers)));
    this.fallback = new TokenBuckets(ratePerSecond / workers, Math.max(1, burst / workers));
  }

  take(key: string): number | Promise<number> {
    const now = performance.now();
    let lease = this.leases.get(key);
    if (lease !== undefined && lease.untilMs <= now) lease.tokens = 0;
    if (lease !== undefined && lease.tokens >= 1) {
      lease.tokens--;
      return 0;
    }
    if (lease !== undefined && lease.emptyUntilMs > now) return Math.ceil(lease.emptyUntilMs - now);
    if (lease === undefined) {
      if (this.leases.size >= MAX_LEASES) this.dropOldest();
      lease = { tokens: 0, untilMs: 0, emptyUntilMs: 0, waiting: [], asking: false };
      this.leases.set(key, lease);
    }
    const l = lease;
    return new Promise<number>((resolve) => {
      l.waiting.push(resolve);
      if (!l.asking) void this.ask(key, l);
    });
  }

  /** Asks for the waiting requests (and a lease beyond them) until they are all answered. */
  private async ask(key: string, lease: Lease): Promise<void> {
    lease.asking = true;
    while (lease.waiting.length > 0) {
      const wanted = lease.waiting.length + this.leaseSize - 1;
      const grant = await this.channel({ instanceKey: this.instanceKey, ratePerSecond: this.ratePerSecond, burst: this.burst, key, wanted, scope: this.scope });
      if (grant === undefined) {
        // The primary is too busy to answer in time: decide with this worker's share rather than wait.
        for (const resolve of lease.waiting.splice(0)) resolve(this.fallback.take(key));
        break;
      }
      lease.tokens = grant.granted;
      const answeredAt = performance.now();
      lease.untilMs = answeredAt + LEASE_TTL_MS;
      lease.emptyUntilMs = grant.granted === 0 ? answeredAt + Math.max(1, grant.waitMs) : 0;
      const answerable = grant.granted < wanted ? lease.waiting.length : Math.min(lease.waiting.length, wanted);
      for (const resolve of lease.waiting.splice(0, answerable)) {
        if (lease.tokens >= 1) {
          lease.tokens--;
          resolve(0);
        } else {
          resolve(Math.max(1, grant.waitMs));
        }
      }
      // Requests that came while asking, beyond a full grant: ask again for them.
    }
    lease.asking = false;
  }

  private dropOldest(): void {
    for (const [key, lease] of this.leases) {
      if (lease.asking) continue;
      this.leases.delete(key);
      return;
    }
  }
}
