// What a filter factory is told besides its config (FilterRegistry.context), in a file of its own so
// that filters can read it without importing the registry that imports them.
import type { TokenSource } from './token-buckets.js';

/** What a filter instance is told of where it runs. */
export interface FilterContext {
  /** Names this instance alike in every worker of the proxy: its route, filter name and config. */
  readonly instanceKey: string;
  /**
   * Token buckets for this instance that every process of the proxy shares: with workers the primary
   * holds them and lends tokens (leased-tokens.ts), so a rate limit holds for the whole proxy.
   */
  tokenBuckets(ratePerSecond: number, burst: number): TokenSource;
}

/** Where the token buckets of a filter instance live (FilterContext.tokenBuckets). */
export type TokenSourceFactory = (instanceKey: string, ratePerSecond: number, burst: number) => TokenSource;
