// The first phase of every request, plain or upgrade: the server's own refusal (a limit it broke),
// then the app's request filter, which may answer the request itself (an auth check, a redirect).
import type { ProxyHttp } from './proxy-http.js';
import type { Session } from './session.js';

export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

/**
 * True when the request is answered already. Throws the server's refusal. Synchronous when the
 * filter is: most requests then take no extra microtask.
 */
export function runRequestFilter<CTX>(app: ProxyHttp<CTX>, session: Session, ctx: CTX): boolean | Promise<boolean> {
  const refusal = session.refusal();
  if (refusal !== undefined) throw refusal;
  if (app.requestFilter === undefined) return false;
  const r = app.requestFilter(session, ctx);
  return isPromise(r) ? r.then((v) => v === true || session.responseStarted) : r === true || session.responseStarted;
}
