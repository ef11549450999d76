// The primary's side of rate limits that hold across workers: the buckets of every rate-limit filter
// instance, from which the workers borrow tokens (leased-tokens.ts). A bucket is made at a worker's
// first request and made again when its rate or burst changed (a configuration update).
// A `scope: mesh` ask is passed on to the control plane (`borrowFromMesh`, which answers within its own
// timeout, shorter than a worker's); when that gives nothing, the proxy decides alone from these
// buckets, as for scope `proxy`: it fails open to its own limit rather than refuse or wait.
import { TokenBuckets, type Grant } from './token-buckets.js';
import { LeasedTokens, type TokenLeaseChannel, type TokenLeaseRequest } from './leased-tokens.js';
import type { TokenSourceFactory } from './filter-context.js';

/** Filter instances whose buckets are kept at most; the least recently used go first. */
const MAX_INSTANCES = 10_000;
/** No worker asks for more than a burst; a bigger number is a bug, not a reason to grant it. */
const MAX_WANTED = 1_000_000;

export class TokenLeaseAuthority {
  private readonly instances = new Map<string, TokenBuckets>();

  /** `borrowFromMesh`: the control plane's buckets; without it, mesh-scoped asks are decided here. */
  constructor(private readonly borrowFromMesh?: TokenLeaseChannel) {}

  grant(request: TokenLeaseRequest): Grant | Promise<Grant> {
    if (request.scope !== 'mesh' || this.borrowFromMesh === undefined || !isSane(request)) return this.grantHere(request);
    return this.borrowFromMesh(request).then((grant) => grant ?? this.grantHere(request));
  }

  /**
   * Token sources for a proxy serving in this process (--workers 1): a proxy-scoped limit takes from
   * buckets of its own, a mesh-scoped one borrows leases through this authority, as a worker would.
   */
  readonly sources: TokenSourceFactory = (instanceKey, ratePerSecond, burst, scope) =>
    scope === 'mesh' ? new LeasedTokens(instanceKey, ratePerSecond, burst, 1, async (request) => this.grant(request), scope) : new TokenBuckets(ratePerSecond, burst);

  /** From this proxy's own buckets. */
  private grantHere(request: TokenLeaseRequest): Grant {
    const { instanceKey, ratePerSecond, burst, key, wanted } = request;
    if (!isSane(request)) return { granted: 0, waitMs: 1000 };
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

function isSane({ ratePerSecond, burst, wanted }: TokenLeaseRequest): boolean {
  return ratePerSecond > 0 && burst >= 1 && Number.isFinite(ratePerSecond) && Number.isFinite(burst) && wanted >= 1;
}
