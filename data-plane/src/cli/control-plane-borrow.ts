// The proxy's line to the control plane's buckets for `scope: mesh` rate limits (rate-limit.proto): a
// Borrow per lease, on the discovery connection (the same replica, the same credential), answered
// within BORROW_TIMEOUT_MS, shorter than a worker's ASK_TIMEOUT_MS so that the primary can still
// answer its worker. No answer (no control plane, disconnected, too slow, an error) resolves
// undefined: the proxy then decides alone from its own bucket (token-lease-authority.ts), failing open
// as Envoy's rate-limit filter does by default, and counts it (sluice_proxy_rate_limit_fallbacks_total).
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { MethodDefinition } from '@grpc/grpc-js';
import { BorrowRequestSchema, type BorrowRequest, type BorrowResponse } from '../../../proto/gen/sluice/v1/rate_limit_pb.js';
import { MAX_BORROW_WANTED, MAX_BUCKET_KEY_BYTES, MAX_INSTANCE_KEY_BYTES, rateLimitServiceDefinition } from '../../../proto/src/wire/rate-limit-service-definition.js';
import type { TokenLeaseChannel, TokenLeaseRequest } from '../filters/leased-tokens.js';
import type { Grant } from '../filters/token-buckets.js';
import type { RateLimitFallbackReason, RateLimitMetrics } from '../metrics/rate-limit-metrics.js';

export const BORROW_TIMEOUT_MS = 500;
/** Errors are logged at most this often: a control plane in trouble must not flood the proxy's log. */
const LOG_EVERY_MS = 60_000;

// gRPC status codes (not imported: a proxy on a static --config loads no gRPC).
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** What Borrow needs of the discovery client (DiscoveryClient.unary). */
export interface UnaryCaller {
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadlineMs: number): Promise<Res> | undefined;
}

const BORROW = rateLimitServiceDefinition['Borrow'] as MethodDefinition<BorrowRequest, BorrowResponse>;

export class ControlPlaneBorrow {
  private client: UnaryCaller | undefined;
  private loggedAtMs = Number.NEGATIVE_INFINITY;

  /** `hasControlPlane`: the proxy follows one (--control-plane), though maybe not connected yet. */
  constructor(private readonly metrics: RateLimitMetrics, private readonly hasControlPlane: boolean) {}

  /** Borrows go over this client's connection from now on. */
  follow(client: UnaryCaller): void {
    this.client = client;
  }

  readonly channel: TokenLeaseChannel = async (request) => {
    if (!this.hasControlPlane) return this.fellBack('no_control_plane');
    const call = this.client?.unary(BORROW, borrowRequest(request), BORROW_TIMEOUT_MS);
    if (call === undefined) return this.fellBack('disconnected');
    try {
      const response = await call;
      return { granted: Math.min(response.granted, request.wanted), waitMs: response.waitMs } satisfies Grant;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === DEADLINE_EXCEEDED) return this.fellBack('timeout');
      if (code === UNAVAILABLE) return this.fellBack('disconnected');
      const now = Date.now();
      if (now - this.loggedAtMs >= LOG_EVERY_MS) {
        this.loggedAtMs = now;
        console.error(`sluice proxy: rate-limit Borrow failed; deciding alone (its own bucket): ${(err as Error).message}`);
      }
      return this.fellBack('error');
    }
  };

  private fellBack(reason: RateLimitFallbackReason): undefined {
    this.metrics.fellBack(reason);
    return undefined;
  }
}

/** The request within the protocol's bounds: a longer key is sent as its hash, the count capped. */
function borrowRequest(r: TokenLeaseRequest): BorrowRequest {
  return create(BorrowRequestSchema, {
    instanceKey: bounded(r.instanceKey, MAX_INSTANCE_KEY_BYTES),
    ratePerSecond: r.ratePerSecond,
    burst: r.burst,
    bucketKey: bounded(r.key, MAX_BUCKET_KEY_BYTES),
    wanted: Math.max(1, Math.min(MAX_BORROW_WANTED, Math.floor(r.wanted))),
  });
}

function bounded(key: string, maxBytes: number): string {
  return Buffer.byteLength(key) <= maxBytes ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
