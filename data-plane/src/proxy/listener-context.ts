// What a request knows about the listener it arrived on: its name (routes can be bound to listeners),
// its scheme (X-Forwarded-Proto) and its limits. docs/limits.md explains each default.
import { downstreamConnectionBudget } from './fd-budget.js';

export interface ListenerLimits {
  /** Request line and headers larger than this → 431 headers-too-large. */
  readonly maxHeaderBytes: number;
  /** More request header fields than this → 431 too-many-headers (never truncated). */
  readonly maxHeaderCount: number;
  /** Request body larger than this → 413 (a route's maxRequestBodyBytes overrides it). */
  readonly maxRequestBodyBytes: number;
  /**
   * Open client connections on the listener; never above this process's file-descriptor budget
   * (fd-budget.ts), which all its listeners share. At the cap, idle or request-less connections are
   * closed to admit new ones; when there is none, the new connection is closed at once.
   */
  readonly maxConnections: number;
  /**
   * From accept to the first complete request head (TLS handshake and HTTP/2 preface included, an
   * HTTP/2 session counts until its first stream), and from the first byte of each later request to
   * its complete head. A connection that sent part of an HTTP/1.1 head gets 408; others are closed.
   */
  readonly headerTimeoutMs: number;
  /** A keep-alive connection (or HTTP/2 session) with no request for this long is closed. */
  readonly idleTimeoutMs: number;
  /** The client must send its whole request (body included) within this → else 408; 0 disables. */
  readonly requestTimeoutMs: number;
  /** Longest pause between two request body bytes → 408 request-body-timeout. */
  readonly bodyIdleTimeoutMs: number;
  /**
   * Request bodies up to this size are read whole before an upstream is picked and before the
   * cluster's circuit breaker is asked (a slow client holds no upstream capacity), and are replayed
   * on retries; larger ones are streamed. 0: always stream.
   */
  readonly bodyBufferBytes: number;
}

export interface ListenerContext extends ListenerLimits {
  readonly name: string;
  readonly scheme: 'http' | 'https';
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = Object.freeze({
  maxHeaderBytes: 32 * 1024,
  maxHeaderCount: 100,
  maxRequestBodyBytes: Number.MAX_SAFE_INTEGER,
  maxConnections: downstreamConnectionBudget(),
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 0,
  bodyIdleTimeoutMs: 30_000,
  bodyBufferBytes: 64 * 1024,
});
