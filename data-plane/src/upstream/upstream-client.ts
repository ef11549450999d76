// The seam between the proxy engine and a wire protocol to upstreams: HTTP/1.1 (http1-connection.ts,
// connection-pool.ts) and HTTP/2 (http2-stream.ts, http2-session-pool.ts) implement it.
import type { ProxyError } from '../errors.js';
import type { HeaderList } from '../protocols/header-list.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';
import type { ConnectionGate } from './circuit-breaker.js';
import type { BufferLease } from './read-buffer-pool.js';

export interface UpstreamRequest {
  method: string;
  /** Origin-form target: path and query. */
  target: string;
  /** End-to-end headers, `host` included; framing headers are added by the connection. */
  headers: HeaderList;
  /** Body length: 0 for none, -1 for unknown (sent chunked). */
  bodyLength: number;
}

/**
 * Callbacks of one exchange, as an object (undici's dispatcher-handler style) so a request costs no
 * event-listener registration. Each is called at most once except onResponseData and onRequestDrain.
 */
export interface ExchangeHandler {
  /** The final (non-1xx) response head arrived. */
  onResponseHead(head: ResponseHead): void;
  /**
   * A piece of response body; return false to pause until `resumeResponse()`. `chunk` is a view of
   * a reused read buffer: to keep it past this call, `lease.retain()` and later `lease.release()`.
   */
  onResponseData(chunk: Buffer, lease: BufferLease): boolean;
  /** The response body is complete. */
  onResponseEnd(): void;
  /** Response trailers (HTTP/2, e.g. grpc-status); called just before onResponseEnd. */
  onResponseTrailers?(trailers: HeaderList): void;
  /** The exchange failed; no other callback follows. */
  onError(error: ProxyError): void;
  /** The request body may be written again after `writeBody` returned false. */
  onRequestDrain(): void;
}

/** One connection (HTTP/1.1) or one stream (HTTP/2) able to carry a request. */
export interface UpstreamConnection {
  /** Requests this connection carried before this one: > 0 means it came from the pool. */
  readonly reuseCount: number;
  /** Sends the head (and starts the exchange). `handler` gets everything that follows. */
  send(request: UpstreamRequest, handler: ExchangeHandler): void;
  /** Writes request body; false means wait for `onRequestDrain`. */
  writeBody(chunk: Buffer): boolean;
  /** Ends the request body. */
  endBody(): void;
  /** Resumes response data after `onResponseData` returned false. */
  resumeResponse(): void;
  /** Ends the exchange early: the connection is destroyed, no callback follows. */
  abort(): void;
}

/** What a pool has done (its counters) and holds now. */
export interface PoolStats {
  /** Connections opened. */
  created: number;
  /** Requests that reused an idle connection. */
  reused: number;
  /** Connect attempts that failed or timed out. */
  connectFailures: number;
  idle: number;
  active: number;
}

/** Connections (HTTP/1.1) or streams (HTTP/2) to one endpoint; a Peer owns one. */
export interface UpstreamPool {
  readonly stats: PoolStats;
  /** A ready connection or stream right away, or a promise of one. Rejects with a ProxyError. */
  acquire(): UpstreamConnection | Promise<UpstreamConnection>;
  /** The cluster's connection limit (circuit breakers), asked before each connection opens. */
  connectionGate?: ConnectionGate | undefined;
  /** Whether `acquire` would answer at once (an idle connection or a free stream), without waiting. */
  readyNow?(): boolean;
  getStats(): PoolStats;
  /** Closes idle connections now and busy ones when their exchanges end. */
  close(): void;
}
