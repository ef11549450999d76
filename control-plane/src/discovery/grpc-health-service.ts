// The standard gRPC health service (grpc.health.v1.Health) on the discovery port, so gRPC-aware load
// balancers, grpc-health-probe and Kubernetes' gRPC probes can ask whether this replica serves. Check
// answers SERVING exactly when /readyz answers 200, for the server as a whole ("") and for each
// service on the port; another name gets NOT_FOUND, as the protocol asks. Watch is not offered: the
// server answers UNIMPLEMENTED (grpc-js does for every method it was not given).
import * as grpc from '@grpc/grpc-js';
import {
  GRPC_HEALTH_CHECK_PATH,
  ServingStatus,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
} from '../../../proto/src/wire/grpc-health.js';

interface HealthCheckRequest {
  readonly service: string;
}

const definition: grpc.ServiceDefinition = {
  Check: {
    path: GRPC_HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (request: HealthCheckRequest) => encodeHealthCheckRequest(request.service),
    // An object, not the bare name: grpc-js takes a falsy request ('', the server as a whole) for none.
    requestDeserialize: (bytes: Buffer): HealthCheckRequest => ({ service: decodeHealthCheckRequest(bytes) }),
    responseSerialize: encodeHealthCheckResponse,
    responseDeserialize: decodeHealthCheckResponse,
  },
};

/** The name of the service a grpc-js definition describes (`sluice.v1.DiscoveryService`), from its first method's path. */
export function serviceNameOf(service: grpc.ServiceDefinition): string {
  const path = Object.values(service)[0]?.path ?? '';
  return path.slice(1, path.lastIndexOf('/'));
}

/**
 * The health service for a port that serves `services`; `ready` is the replica's readiness (the same
 * function /readyz answers with).
 */
export function grpcHealthService(ready: () => boolean, services: readonly grpc.ServiceDefinition[]): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const known = new Set(['', ...services.map(serviceNameOf)]);
  const check = (call: grpc.ServerUnaryCall<HealthCheckRequest, ServingStatus>, callback: grpc.sendUnaryData<ServingStatus>): void => {
    const { service } = call.request;
    if (!known.has(service)) {
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(service)}` });
      return;
    }
    callback(null, ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  };
  return { definition, implementation: { Check: check } };
}
