// Filter factories by name: the built-in ones and user filters loaded from modules named in the
// bootstrap config. A route's `filters: [{name, config}]` is turned into filters through here.
import type { JsonObject } from '@bufbuild/protobuf';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { HttpFilter } from '../proxy/proxy-http.js';
import { compression } from './compression.js';
import { cors } from './cors.js';
import { faultInjection } from './fault-injection.js';
import { headerEditFilter } from './header-edit-filter.js';
import { localRateLimit } from './local-rate-limit.js';
import { TokenBuckets } from './token-buckets.js';
import type { FilterContext, TokenSourceFactory } from './filter-context.js';

export type { FilterContext, RateLimitScope, TokenSourceFactory } from './filter-context.js';

/**
 * Makes one filter instance from its per-route config; throws (FilterConfigError) on a bad config.
 * A user filter may ignore the context.
 */
export type FilterFactory = (config: JsonObject, context: FilterContext) => HttpFilter;

/** One process serving alone, with no control plane to borrow from: its buckets are the proxy's, whatever the scope. */
const LOCAL_TOKENS: TokenSourceFactory = (_key, ratePerSecond, burst) => new TokenBuckets(ratePerSecond, burst);

export const BUILTIN_FILTERS: Readonly<Record<string, FilterFactory>> = Object.freeze({
  headers: headerEditFilter,
  'rate-limit': localRateLimit,
  cors,
  compression,
  fault: (config: JsonObject) => faultInjection(config),
});

export class FilterRegistry {
  private readonly factories = new Map<string, FilterFactory>(Object.entries(BUILTIN_FILTERS));

  /** `tokens`: where filters' token buckets live (a worker's come from the primary). */
  constructor(private readonly tokens: TokenSourceFactory = LOCAL_TOKENS) {}

  /** The context of the filter instance named `instanceKey`. */
  context(instanceKey: string): FilterContext {
    const tokens = this.tokens;
    return { instanceKey, tokenBuckets: (ratePerSecond, burst, scope = 'proxy') => tokens(instanceKey, ratePerSecond, burst, scope) };
  }

  register(name: string, factory: FilterFactory): this {
    this.factories.set(name, factory);
    return this;
  }

  get(name: string): FilterFactory | undefined {
    return this.factories.get(name);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /**
   * Imports a user filter module: its default export (or `createFilter`) is the factory. A relative
   * path is resolved against `baseDir` (the config file's directory).
   */
  async load(name: string, module: string, baseDir = process.cwd()): Promise<void> {
    const specifier = module.startsWith('.') || module.startsWith('/') ? pathToFileURL(resolve(baseDir, module)).href : module;
    const mod = (await import(specifier)) as { default?: unknown; createFilter?: unknown };
    const factory = typeof mod.default === 'function' ? mod.default : mod.createFilter;
    if (typeof factory !== 'function') throw new Error(`filter module ${module} exports no default function or createFilter`);
    this.register(name, factory as FilterFactory);
  }
}
