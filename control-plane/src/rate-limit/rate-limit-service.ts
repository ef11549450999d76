// sluice.v1.RateLimitService on the discovery port: proxies borrow the tokens of `scope: mesh` rate
// limits from this replica's buckets (mesh-token-buckets.ts). A caller is authenticated as a discovery
// stream is (the same bearer token), and a request out of the protocol's bounds is refused with
// INVALID_ARGUMENT naming its field, before any bucket is made for it.
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import { BorrowResponseSchema, type BorrowRequest, type BorrowResponse } from '../../../proto/gen/sluice/v1/rate_limit_pb.js';
import { borrowRequestProblem, rateLimitServiceDefinition } from '../../../proto/src/wire/rate-limit-service-definition.js';
import { AcceptedCredentials } from './accepted-credentials.js';
import { FleetShare } from './fleet-share.js';
import { MeshTokenBuckets } from './mesh-token-buckets.js';
import type { ApiTokens } from '../api/api-tokens.js';
import type { WorkloadAuthenticator } from '../identity/workload-authenticator.js';

type Call = grpc.ServerUnaryCall<BorrowRequest, BorrowResponse>;

/** The longest wait_ms answered: an hour (a very low rate's next token is far off; the proxy asks again anyway). */
const MAX_WAIT_MS = 3_600_000;

export interface RateLimitServiceDeps {
  readonly credentials: AcceptedCredentials;
  readonly buckets: MeshTokenBuckets;
  readonly log?: Logger;
}

export function rateLimitService(deps: RateLimitServiceDeps): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const borrow = (call: Call, callback: grpc.sendUnaryData<BorrowResponse>): void => {
    void deps.credentials.refusal(call.metadata.get('authorization')[0]?.toString()).then(
      (refusal) => {
        if (refusal !== undefined) {
          deps.log?.warn({ peer: call.getPeer(), reason: refusal.details }, 'rate-limit borrow refused: its credential');
          return callback({ code: refusal.code, details: refusal.details });
        }
        const problem = borrowRequestProblem(call.request);
        if (problem !== undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: `${problem.field} ${problem.message}` });
        const r = call.request;
        const grant = deps.buckets.borrow({ instanceKey: r.instanceKey, ratePerSecond: r.ratePerSecond, burst: r.burst, bucketKey: r.bucketKey, wanted: r.wanted });
        callback(null, create(BorrowResponseSchema, { granted: grant.granted, waitMs: Math.min(MAX_WAIT_MS, grant.waitMs) }));
      },
      (err: unknown) => {
        deps.log?.error({ err, peer: call.getPeer() }, 'rate-limit borrow failed');
        callback({ code: grpc.status.INTERNAL, details: 'the borrow could not be answered (see the control plane log)' });
      },
    );
  };
  return { definition: rateLimitServiceDefinition, implementation: { Borrow: borrow } };
}

/** Where the share of this replica comes from: the discovery module, made after the services it serves. */
export interface FleetCounts {
  /** Proxies connected to this replica. */
  connectedHere(): number;
  /** Every proxy of the fleet, over all replicas. */
  fleetSize(): number;
}

/** The service as the control plane serves it: credentials as discovery's, buckets shared by `fleet`. */
export function meshRateLimitService(tokens: ApiTokens, authenticator: WorkloadAuthenticator | undefined, fleet: FleetCounts, log?: Logger): ReturnType<typeof rateLimitService> {
  const share = new FleetShare(() => fleet.connectedHere(), () => fleet.fleetSize());
  return rateLimitService({ credentials: new AcceptedCredentials(tokens, authenticator), buckets: new MeshTokenBuckets(() => share.current()), ...(log === undefined ? {} : { log }) });
}
