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

/** Makes one filter instance from its per-route config; throws (FilterConfigError) on a bad config. */
export type FilterFactory = (config: JsonObject) => HttpFilter;

export const BUILTIN_FILTERS: Readonly<Record<string, FilterFactory>> = Object.freeze({
  headers: headerEditFilter,
  'rate-limit': localRateLimit,
  cors,
  compression,
  fault: (config: JsonObject) => faultInjection(config),
});

export class FilterRegistry {
  private readonly factories = new Map<string, FilterFactory>(Object.entries(BUILTIN_FILTERS));

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
