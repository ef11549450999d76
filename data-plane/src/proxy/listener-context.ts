// What a request knows about the listener it arrived on: its name (routes can be bound to listeners),
// its scheme (X-Forwarded-Proto) and its limits.

export interface ListenerLimits {
  /** Request head larger than this → 431. */
  readonly maxHeaderBytes: number;
  /** Request body larger than this → 413 (a route's maxRequestBodyBytes overrides it). */
  readonly maxRequestBodyBytes: number;
  /** The client must send its whole head within this → else 408. */
  readonly headerTimeoutMs: number;
  /** A keep-alive connection with no request for this long is closed. */
  readonly idleTimeoutMs: number;
  /** The client must send its whole request (body included) within this → else 408; 0 disables. */
  readonly requestTimeoutMs: number;
}

export interface ListenerContext extends ListenerLimits {
  readonly name: string;
  readonly scheme: 'http' | 'https';
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = Object.freeze({
  maxHeaderBytes: 32 * 1024,
  maxRequestBodyBytes: Number.MAX_SAFE_INTEGER,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 0,
});
