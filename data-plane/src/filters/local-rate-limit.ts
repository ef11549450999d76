// Built-in filter `rate-limit`: a token bucket per key, local to this proxy process (Envoy's local
// rate limit). Refused requests get 429 with retry-after and x-sluice-error: rate-limited.
// config: { requestsPerSecond: 100, burst: 100, key: "source" | "global" | "header:<name>" }
import type { JsonObject } from '@bufbuild/protobuf';
import { performance } from 'node:perf_hooks';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import type { HttpFilter } from '../proxy/proxy-http.js';
import type { Session } from '../proxy/session.js';
import { FilterConfigError, num, str } from './filter-config.js';

/** Buckets kept at most; the least recently refilled ones go first (a flood of keys cannot grow memory). */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly ratePerSecond: number, readonly burst: number) {}

  /** Takes one token for `key`; returns 0 when granted, else the milliseconds until one is there. */
  take(key: string, nowMs = performance.now()): number {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, atMs: nowMs };
    } else {
      this.buckets.delete(key);
      b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.atMs) * this.ratePerSecond) / 1000);
      b.atMs = nowMs;
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSecond);
  }
}

export function localRateLimit(config: JsonObject): HttpFilter {
  const rate = num(config, 'requestsPerSecond', 100, Number.MIN_VALUE);
  const burst = num(config, 'burst', rate, 1);
  const keySpec = str(config, 'key', 'source');
  let keyOf: (s: Session) => string;
  if (keySpec === 'source') keyOf = (s) => s.remoteAddress;
  else if (keySpec === 'global') keyOf = () => '';
  else if (keySpec.startsWith('header:')) {
    const name = keySpec.slice(7).toLowerCase();
    keyOf = (s) => s.headers.get(name) ?? '';
  } else throw new FilterConfigError('key', 'must be "source", "global" or "header:<name>"');
  const buckets = new TokenBuckets(rate, burst);
  return {
    name: 'rate-limit',
    requestFilter(session) {
      const waitMs = buckets.take(keyOf(session));
      if (waitMs === 0) return false;
      const error = new ProxyError(ProxyErrorCode.RateLimited, 'local rate limit exceeded');
      session.error = error;
      session.respond(429, 'rate-limited\n', ['retry-after', String(Math.ceil(waitMs / 1000)), 'x-sluice-error', error.causeName]);
      return true;
    },
  };
}
