// Built-in filter `rate-limit`: a token bucket per key for the whole proxy (Envoy's local rate limit,
// whose buckets its worker threads share): with --workers N the primary holds the buckets and lends
// tokens to the workers (leased-tokens.ts). Refused requests get 429 with retry-after and
// x-sluice-error: rate-limited.
// With `scope: mesh` the buckets are the control plane's, shared by every proxy (rate-limit.proto).
// config: { requestsPerSecond: 100, burst: 100, key: "source" | "global" | "header:<name>", scope: "proxy" | "mesh" }
import type { JsonObject } from '@bufbuild/protobuf';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import type { HttpFilter } from '../proxy/proxy-http.js';
import type { FilterContext } from './filter-context.js';
import type { Session } from '../proxy/session.js';
import { FilterConfigError, num, str } from './filter-config.js';

export function localRateLimit(config: JsonObject, context: FilterContext): HttpFilter {
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
  const scope = str(config, 'scope', 'proxy');
  if (scope !== 'proxy' && scope !== 'mesh') throw new FilterConfigError('scope', 'must be "proxy" or "mesh"');
  const buckets = context.tokenBuckets(rate, burst, scope);
  return {
    name: 'rate-limit',
    requestFilter(session) {
      const waitMs = buckets.take(keyOf(session));
      return typeof waitMs === 'number' ? refused(session, waitMs) : waitMs.then((ms) => refused(session, ms));
    },
  };
}

/** Answers 429 unless a token was granted (`waitMs` 0); true when it answered. */
function refused(session: Session, waitMs: number): boolean {
  if (waitMs === 0) return false;
  const error = new ProxyError(ProxyErrorCode.RateLimited, 'local rate limit exceeded');
  session.error = error;
  session.respond(429, 'rate-limited\n', ['retry-after', String(Math.ceil(waitMs / 1000)), 'x-sluice-error', error.causeName]);
  return true;
}
