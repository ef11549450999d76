// Which proxy errors are timeouts, and whose: the `kind` label of sluice_proxy_timeouts_total, and
// what a gRPC client gets as DEADLINE_EXCEEDED (protocols/grpc.ts). One list for both.
import { ProxyErrorCode } from './errors.js';

/**
 * connect: no connection to the endpoint within the cluster's connectTimeoutMs;
 * upstream: no response within the route's timeoutMs or retry.perTryTimeoutMs, or the upstream stopped
 * taking the request body;
 * client: the client was too slow sending a request the proxy was serving (a pause inside its body
 * longer than bodyIdleTimeoutMs). A client too slow to send its headers never becomes a request: the
 * connection gate counts it (sluice_proxy_downstream_connections_closed_total, header_timeout).
 */
export const TIMEOUT_KINDS = ['connect', 'upstream', 'client'] as const;
export type TimeoutKind = (typeof TIMEOUT_KINDS)[number];

const KIND_OF: ReadonlyMap<string, TimeoutKind> = new Map([
  [ProxyErrorCode.ConnectTimeout, 'connect'],
  [ProxyErrorCode.UpstreamTimeout, 'upstream'],
  [ProxyErrorCode.RequestTimeout, 'client'],
  [ProxyErrorCode.RequestBodyTimeout, 'client'],
]);

/** The kind of timeout `code` stands for; undefined when it is no timeout. */
export function timeoutKindOf(code: ProxyErrorCode): TimeoutKind | undefined {
  return KIND_OF.get(code);
}
