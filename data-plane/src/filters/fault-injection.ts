// Built-in filter `fault`: delays or aborts a percentage of requests, to test how callers cope.
// config: { delay: { fixedDelayMs: 100, percentage: 10 }, abort: { status: 503, percentage: 5 } }
import type { JsonObject } from '@bufbuild/protobuf';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import type { HttpFilter } from '../proxy/proxy-http.js';
import type { Session } from '../proxy/session.js';
import { FilterConfigError, num, obj } from './filter-config.js';

export function faultInjection(config: JsonObject, random: () => number = Math.random): HttpFilter {
  const delay = obj(config, 'delay');
  const abort = obj(config, 'abort');
  const delayMs = delay === undefined ? 0 : num(delay, 'fixedDelayMs', 0);
  const delayPct = delay === undefined ? 0 : num(delay, 'percentage', 100);
  const abortStatus = abort === undefined ? 0 : num(abort, 'status', 503, 200);
  const abortPct = abort === undefined ? 0 : num(abort, 'percentage', 100);
  if (abortStatus > 599) throw new FilterConfigError('abort.status', 'must be between 200 and 599');
  const maybeAbort = (session: Session): boolean => {
    if (abortPct === 0 || random() * 100 >= abortPct) return false;
    const error = new ProxyError(ProxyErrorCode.FaultInjected, 'fault injected', { status: abortStatus });
    session.error = error;
    session.respond(abortStatus, 'fault-injected\n', ['x-sluice-error', error.causeName]);
    return true;
  };
  return {
    name: 'fault',
    requestFilter(session) {
      if (delayMs > 0 && delayPct > 0 && random() * 100 < delayPct) return sleep(delayMs).then(() => maybeAbort(session));
      return maybeAbort(session);
    },
  };
}
