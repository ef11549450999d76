// The data plane's one error type: a stable code, where the failure came from, whether a retry may
// help, and the cause. After Pingora's pingora-error (kind, source, retry flag, cause chain).

/** Stable codes; docs/reference.md's error table lists each one. Never rename a code. */
export const ProxyErrorCode = {
  /** No route matched the request's host, path, method, headers and query (404). */
  NoRoute: 'SLUICE_PROXY_NO_ROUTE',
  /** The route's cluster has no endpoint that may take traffic (503). */
  NoHealthyUpstream: 'SLUICE_PROXY_NO_HEALTHY_UPSTREAM',
  /** The route forwards to a cluster the snapshot does not hold (503). */
  UnknownCluster: 'SLUICE_PROXY_UNKNOWN_CLUSTER',
  /** TCP connect to the endpoint failed: refused, unreachable (503). */
  ConnectFailure: 'SLUICE_PROXY_CONNECT_FAILURE',
  /** TCP connect did not finish within the cluster's connectTimeoutMs (504). */
  ConnectTimeout: 'SLUICE_PROXY_CONNECT_TIMEOUT',
  /** The upstream closed or reset the connection before the response was complete (502). */
  UpstreamReset: 'SLUICE_PROXY_UPSTREAM_RESET',
  /** The upstream answered with something that is not valid HTTP/1.1 or framing that is ambiguous (502). */
  UpstreamProtocol: 'SLUICE_PROXY_UPSTREAM_PROTOCOL',
  /** The upstream did not answer within the route's timeoutMs or retry.perTryTimeoutMs (504). */
  UpstreamTimeout: 'SLUICE_PROXY_UPSTREAM_TIMEOUT',
  /** The client sent a request that is malformed or framed ambiguously (400, connection closed). */
  BadRequest: 'SLUICE_PROXY_BAD_REQUEST',
  /** The request's headers exceed the listener's maxHeaderBytes (431). */
  HeadersTooLarge: 'SLUICE_PROXY_HEADERS_TOO_LARGE',
  /** The request has more header fields than the listener's maxHeaderCount (431). */
  TooManyHeaders: 'SLUICE_PROXY_TOO_MANY_HEADERS',
  /** The request body exceeds the route's or listener's maxRequestBodyBytes (413). */
  BodyTooLarge: 'SLUICE_PROXY_BODY_TOO_LARGE',
  /** The client did not send its headers, or its whole request, in time (408). */
  RequestTimeout: 'SLUICE_PROXY_REQUEST_TIMEOUT',
  /** The client paused longer than the listener's bodyIdleTimeoutMs between request body bytes (408). */
  RequestBodyTimeout: 'SLUICE_PROXY_REQUEST_BODY_TIMEOUT',
  /** The method is one the proxy does not serve: CONNECT (501). */
  MethodNotImplemented: 'SLUICE_PROXY_METHOD_NOT_IMPLEMENTED',
  /** The client went away before the response was complete (nothing is answered). */
  DownstreamReset: 'SLUICE_PROXY_DOWNSTREAM_RESET',
  /** A local rate limit refused the request (429). */
  RateLimited: 'SLUICE_PROXY_RATE_LIMITED',
  /** The fault-injection filter aborted the request on purpose (the configured status). */
  FaultInjected: 'SLUICE_PROXY_FAULT_INJECTED',
  /** A hook or filter threw (500). */
  Internal: 'SLUICE_PROXY_INTERNAL',
  /** A cluster's circuit breaker refused the request; `x-sluice-overloaded` names the limit (503). */
  Overloaded: 'SLUICE_PROXY_OVERLOADED',
  /** An AuthorizationPolicy denied the request: a DENY policy matched, or no ALLOW policy did (403; gRPC PERMISSION_DENIED). */
  RbacDenied: 'SLUICE_PROXY_RBAC_DENIED',
} as const;
export type ProxyErrorCode = (typeof ProxyErrorCode)[keyof typeof ProxyErrorCode];

/** Where a failure came from: the server we forward to, the client, or the proxy itself. */
export type ErrorSource = 'upstream' | 'downstream' | 'internal';

interface CodeInfo {
  readonly status: number;
  readonly source: ErrorSource;
  readonly retryable: boolean;
  /** Value of the `x-sluice-error` response header. */
  readonly cause: string;
}

const CODE_INFO: Readonly<Record<ProxyErrorCode, CodeInfo>> = {
  SLUICE_PROXY_NO_ROUTE: { status: 404, source: 'downstream', retryable: false, cause: 'no-route' },
  SLUICE_PROXY_NO_HEALTHY_UPSTREAM: { status: 503, source: 'upstream', retryable: false, cause: 'no-healthy-upstream' },
  SLUICE_PROXY_UNKNOWN_CLUSTER: { status: 503, source: 'internal', retryable: false, cause: 'unknown-cluster' },
  SLUICE_PROXY_CONNECT_FAILURE: { status: 503, source: 'upstream', retryable: true, cause: 'connect-failure' },
  SLUICE_PROXY_CONNECT_TIMEOUT: { status: 504, source: 'upstream', retryable: true, cause: 'connect-timeout' },
  SLUICE_PROXY_UPSTREAM_RESET: { status: 502, source: 'upstream', retryable: true, cause: 'upstream-reset' },
  SLUICE_PROXY_UPSTREAM_PROTOCOL: { status: 502, source: 'upstream', retryable: false, cause: 'upstream-protocol-error' },
  SLUICE_PROXY_UPSTREAM_TIMEOUT: { status: 504, source: 'upstream', retryable: true, cause: 'upstream-timeout' },
  SLUICE_PROXY_BAD_REQUEST: { status: 400, source: 'downstream', retryable: false, cause: 'bad-request' },
  SLUICE_PROXY_HEADERS_TOO_LARGE: { status: 431, source: 'downstream', retryable: false, cause: 'headers-too-large' },
  SLUICE_PROXY_TOO_MANY_HEADERS: { status: 431, source: 'downstream', retryable: false, cause: 'too-many-headers' },
  SLUICE_PROXY_BODY_TOO_LARGE: { status: 413, source: 'downstream', retryable: false, cause: 'body-too-large' },
  SLUICE_PROXY_REQUEST_TIMEOUT: { status: 408, source: 'downstream', retryable: false, cause: 'request-timeout' },
  SLUICE_PROXY_REQUEST_BODY_TIMEOUT: { status: 408, source: 'downstream', retryable: false, cause: 'request-body-timeout' },
  SLUICE_PROXY_METHOD_NOT_IMPLEMENTED: { status: 501, source: 'downstream', retryable: false, cause: 'method-not-implemented' },
  SLUICE_PROXY_DOWNSTREAM_RESET: { status: 499, source: 'downstream', retryable: false, cause: 'downstream-reset' },
  SLUICE_PROXY_RATE_LIMITED: { status: 429, source: 'downstream', retryable: false, cause: 'rate-limited' },
  SLUICE_PROXY_FAULT_INJECTED: { status: 503, source: 'internal', retryable: false, cause: 'fault-injected' },
  SLUICE_PROXY_INTERNAL: { status: 500, source: 'internal', retryable: false, cause: 'internal' },
  SLUICE_PROXY_OVERLOADED: { status: 503, source: 'internal', retryable: false, cause: 'overloaded' },
  SLUICE_PROXY_RBAC_DENIED: { status: 403, source: 'downstream', retryable: false, cause: 'rbac-denied' },
};

export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  readonly source: ErrorSource;
  /** Whether trying again (on another connection or endpoint) may succeed. Retry policy still decides. */
  retryable: boolean;
  /** The HTTP status answered downstream when this error ends the request. */
  status: number;
  /** Overloaded only: the circuit-breaker limit that refused the request (`max_requests`). */
  readonly limit: string | undefined;

  constructor(code: ProxyErrorCode, message: string, options: { cause?: unknown; retryable?: boolean; status?: number; limit?: string } = {}) {
    const info = CODE_INFO[code];
    // A downstream or upstream error is an answer (404, 429, 503...), not a bug: nothing reads where
    // in the proxy it was made, and capturing that stack costs about 5 µs, more than the rest of a
    // local answer (and most in a flood of them). An internal error keeps its stack for debugging;
    // a wrapped error keeps its own as the cause.
    const stackTraceLimit = Error.stackTraceLimit;
    if (info.source !== 'internal') Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ProxyError';
    this.code = code;
    this.source = info.source;
    this.retryable = options.retryable ?? info.retryable;
    this.status = options.status ?? info.status;
    this.limit = options.limit;
  }

  /** The short cause named in the `x-sluice-error` header (`connect-timeout`). */
  get causeName(): string {
    return CODE_INFO[this.code].cause;
  }
}

/** Every code with its default status, source and header value: docs/reference.md's table follows it. */
export function errorCodeTable(): Array<{ code: ProxyErrorCode } & CodeInfo> {
  return (Object.keys(CODE_INFO) as ProxyErrorCode[]).map((code) => ({ code, ...CODE_INFO[code] }));
}

/** Wraps anything thrown by user code into a ProxyError (kept as is when it already is one). */
export function toProxyError(err: unknown, code: ProxyErrorCode = ProxyErrorCode.Internal): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError(code, err instanceof Error ? err.message : String(err), { cause: err });
}
