// sluice.v1.IdentityService on the discovery port: authenticates the caller's bootstrap token and signs
// its CSR for the token's identity, whatever names the CSR asks for (a token for one service can never
// obtain another's certificate).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { create } from '@bufbuild/protobuf';
import { IssueCertificateResponseSchema, type IssueCertificateRequest, type IssueCertificateResponse } from '../../../proto/gen/sluice/v1/identity_pb.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { IdentityMetrics, RefusalReason } from './identity-metrics.js';
import type { WorkloadAuthenticator } from './workload-authenticator.js';
import type { WorkloadSigner } from './workload-signer.js';

export interface IdentityServiceDeps {
  readonly authenticator: WorkloadAuthenticator;
  readonly signer: WorkloadSigner;
  /** --workload-cert-ttl-seconds; undefined: the signer's default. */
  readonly ttlSeconds?: number;
  readonly metrics?: IdentityMetrics;
  readonly log?: Logger;
}

type Call = grpc.ServerUnaryCall<IssueCertificateRequest, IssueCertificateResponse>;

class Refusal extends Error {
  constructor(readonly code: grpc.status, readonly reason: RefusalReason, message: string) {
    super(message);
  }
}

export function identityServiceHandlers(deps: IdentityServiceDeps): grpc.UntypedServiceImplementation {
  return {
    IssueCertificate: (call: Call, callback: grpc.sendUnaryData<IssueCertificateResponse>) => {
      issue(deps, call).then(
        (response) => callback(null, response),
        (err: unknown) => {
          const refusal = asRefusal(err);
          deps.metrics?.refusedOne(refusal.reason);
          const fields = { peer: call.getPeer(), reason: refusal.reason };
          if (refusal.reason === 'internal') deps.log?.error({ ...fields, err }, 'certificate request failed');
          else deps.log?.warn({ ...fields, error: refusal.message }, 'certificate request refused');
          callback({ code: refusal.code, details: refusal.message });
        },
      );
    },
  };
}

async function issue(deps: IdentityServiceDeps, call: Call): Promise<IssueCertificateResponse> {
  const header = call.metadata.get('authorization')[0]?.toString();
  const token = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (token === undefined) throw new Refusal(grpc.status.UNAUTHENTICATED, 'unauthenticated', 'missing authorization: Bearer <bootstrap token> metadata');
  const caller = await deps.authenticator.authenticate(token);
  if (caller === undefined) throw new Refusal(grpc.status.UNAUTHENTICATED, 'unauthenticated', 'the token is not valid (a bootstrap token unknown, revoked or expired, or a service-account token that does not verify)');
  const issued = await deps.signer.sign(call.request.csrPem, caller.spiffeId, deps.ttlSeconds);
  deps.metrics?.issuedOne();
  deps.log?.info({ identity: caller.spiffeId, serial: issued.serialNumber, notAfter: issued.notAfter.toISOString(), peer: call.getPeer() }, 'workload certificate issued');
  return create(IssueCertificateResponseSchema, { certChainPem: issued.certChainPem, trustBundlePem: issued.trustBundlePem, identity: caller.spiffeId });
}

function asRefusal(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof ControlPlaneError) {
    if (err.code === ErrorCode.BadCsr) return new Refusal(grpc.status.INVALID_ARGUMENT, 'bad_csr', `${err.code}: ${err.message}`);
    if (err.code === ErrorCode.StoreUnavailable) return new Refusal(grpc.status.UNAVAILABLE, 'unavailable', `${err.code}: the CA or the token cannot be read from the store now; try again`);
  }
  return new Refusal(grpc.status.INTERNAL, 'internal', 'the certificate could not be issued (see the control plane log)');
}
