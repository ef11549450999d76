// gRPC at the proxy's edge (PROTOCOL-HTTP2.md in grpc/grpc): recognizing a gRPC request, reading
// grpc-timeout, and answering the proxy's own failures as gRPC statuses (HTTP 200, grpc-status in
// trailers) so that gRPC clients see UNAVAILABLE or DEADLINE_EXCEEDED rather than a bare 503.
import { ProxyErrorCode, type ProxyError } from '../errors.js';
import type { Session } from '../proxy/session.js';
import { timeoutKindOf } from '../timeout-kinds.js';

export const GrpcStatus = {
  OK: 0,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC request: content-type application/grpc, optionally with a +format suffix. */
export function isGrpc(session: Session): boolean {
  const type = session.headers.get('content-type');
  return type !== undefined && (type === 'application/grpc' || type.startsWith('application/grpc+') || type.startsWith('application/grpc;'));
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` (e.g. `100m`, `5S`) in milliseconds; undefined when absent or malformed. */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** The gRPC status for a failure made by the proxy (by code first, then by HTTP status). */
export function grpcStatusOf(error: ProxyError): number {
  if (timeoutKindOf(error.code) !== undefined) return GrpcStatus.DEADLINE_EXCEEDED;
  switch (error.code) {
    case ProxyErrorCode.NoRoute:
    case ProxyErrorCode.MethodNotImplemented:
      return GrpcStatus.UNIMPLEMENTED;
    case ProxyErrorCode.BodyTooLarge:
    case ProxyErrorCode.HeadersTooLarge:
    case ProxyErrorCode.TooManyHeaders:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case ProxyErrorCode.BadRequest:
    case ProxyErrorCode.Internal:
      return GrpcStatus.INTERNAL;
    case ProxyErrorCode.RbacDenied:
      return GrpcStatus.PERMISSION_DENIED;
  }
  // The HTTP-to-gRPC table of grpc/doc/http-grpc-status-mapping.md.
  switch (error.status) {
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/**
 * Refusals decided on the request head alone are answered Trailers-Only: one HEADERS frame that ends
 * the stream and carries grpc-status (grpc/PROTOCOL-HTTP2.md), as Envoy's RBAC filter answers.
 */
const TRAILERS_ONLY: ReadonlySet<ProxyErrorCode> = new Set([ProxyErrorCode.RbacDenied]);

/** Answers a gRPC request that failed in the proxy: 200, then grpc-status and grpc-message trailers. */
export function respondGrpcError(session: Session, error: ProxyError): void {
  const res = session.res;
  if (res.headersSent) return;
  session.status = 200;
  if (TRAILERS_ONLY.has(error.code)) {
    // No writeHead: it sends the head at once without END_STREAM; from end() with no body the HTTP/2
    // response (protocols/http2/h2-response.ts) sends it as one HEADERS frame that ends the stream.
    res.statusCode = 200;
    res.setHeader('content-type', 'application/grpc');
    res.setHeader('grpc-status', String(grpcStatusOf(error)));
    res.setHeader('grpc-message', encodeURIComponent(`sluice: ${error.causeName}`));
    res.setHeader('x-sluice-error', error.causeName);
    res.end();
    return;
  }
  res.writeHead(200, ['content-type', 'application/grpc', 'x-sluice-error', error.causeName]);
  res.addTrailers({ 'grpc-status': String(grpcStatusOf(error)), 'grpc-message': encodeURIComponent(`sluice: ${error.causeName}`) });
  res.end();
}
