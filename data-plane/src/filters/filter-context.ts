// What a filter factory is told besides its config (FilterRegistry.context), in a file of its own so
// that filters can read it without importing the registry that imports them.
import type { TokenSource } from './token-buckets.js';

/**
 * Where a rate limit holds: `proxy`, each proxy its own buckets (shared by its workers); `mesh`, buckets
 * in the control plane that every proxy borrows from (rate-limit.proto), the proxy's own when the
 * control plane does not answer in time.
 */
export type RateLimitScope = 'proxy' | 'mesh';

/** What a filter instance is told of where it runs. */
export interface FilterContext {
  /** Names this instance alike in every worker of the proxy: its route, filter name and config. */
  readonly instanceKey: string;
  /**
   * Token buckets for this instance that every process of the proxy shares: with workers the primary
   * holds them and lends tokens (leased-tokens.ts), so a rate limit holds for the whole proxy; with
   * scope `mesh` (default `proxy`), for every proxy of the mesh.
   */
  tokenBuckets(ratePerSecond: number, burst: number, scope?: RateLimitScope): TokenSource;
}

/** Where the token buckets of a filter instance live (FilterContext.tokenBuckets). */
export type TokenSourceFactory = (instanceKey: string, ratePerSecond: number, burst: number, scope: RateLimitScope) => TokenSource;
