// When a failed try may be tried again, and how long to wait first (a route's retry policy).
import type { RetryPolicy as RetryPolicyProto } from '../../../proto/gen/sluice/v1/route_pb.js';
import { ProxyErrorCode, type ProxyError } from '../errors.js';
import { RetryOn as RetryOnProto } from '../../../proto/src/model/enums.js';

/** Conditions as bits, so a check per failure is one AND. */
export const RetryOn = {
  ConnectFailure: 1,
  Reset: 2,
  /** 502, 503, 504 answered by the upstream, and per-try timeouts. */
  GatewayError: 4,
  /** Any 5xx answered by the upstream, and every condition above. */
  ServerError: 8,
} as const;

export interface RetryPolicyOptions {
  /** Retries after the first try. */
  attempts: number;
  /** OR of RetryOn bits. */
  on: number;
  /** Time each try has to get a response head (0: only the route timeout). */
  perTryTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class RetryPolicy {
  readonly attempts: number;
  readonly on: number;
  readonly perTryTimeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;

  constructor(options: RetryPolicyOptions) {
    this.attempts = options.attempts;
    this.on = options.on;
    this.perTryTimeoutMs = options.perTryTimeoutMs ?? 0;
    // Envoy's defaults: 25 ms base, ten times that at most.
    this.backoffBaseMs = options.backoffBaseMs || 25;
    this.backoffMaxMs = options.backoffMaxMs || this.backoffBaseMs * 10;
  }

  static fromRoute(proto: RetryPolicyProto | undefined): RetryPolicy | undefined {
    if (proto === undefined || proto.attempts === 0) return undefined;
    let on = 0;
    for (const o of proto.on) {
      if (o === RetryOnProto.CONNECT_FAILURE) on |= RetryOn.ConnectFailure;
      else if (o === RetryOnProto.RESET || o === RetryOnProto.REFUSED_STREAM) on |= RetryOn.Reset;
      else if (o === RetryOnProto.GATEWAY_ERROR) on |= RetryOn.GatewayError;
      else if (o === RetryOnProto.SERVER_ERROR) on |= RetryOn.ServerError;
    }
    // An empty list means the usual transport failures, as Envoy's "connect-failure,reset".
    if (on === 0) on = RetryOn.ConnectFailure | RetryOn.Reset;
    return new RetryPolicy({ attempts: proto.attempts, on, perTryTimeoutMs: proto.perTryTimeoutMs, backoffBaseMs: proto.backoffBaseMs, backoffMaxMs: proto.backoffMaxMs });
  }

  /** Whether the policy covers this failure (whether it is safe is the engine's question). */
  coversError(error: ProxyError): boolean {
    const on = this.on;
    switch (error.code) {
      case ProxyErrorCode.ConnectFailure:
      case ProxyErrorCode.ConnectTimeout:
        return (on & (RetryOn.ConnectFailure | RetryOn.ServerError)) !== 0;
      case ProxyErrorCode.UpstreamReset:
        return (on & (RetryOn.Reset | RetryOn.ServerError)) !== 0;
      case ProxyErrorCode.UpstreamTimeout:
        return (on & (RetryOn.GatewayError | RetryOn.ServerError)) !== 0;
      default:
        return false;
    }
  }

  /** Whether an upstream answer with this status is retried instead of passed on. */
  coversStatus(status: number): boolean {
    if (status < 500) return false;
    if ((this.on & RetryOn.ServerError) !== 0) return true;
    return (this.on & RetryOn.GatewayError) !== 0 && status >= 502 && status <= 504;
  }

  /** Full-jitter exponential backoff before retry number `retry` (1-based). */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (retry - 1));
    return Math.floor(Math.random() * ceiling);
  }
}
