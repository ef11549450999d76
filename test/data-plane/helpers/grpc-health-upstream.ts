// A gRPC upstream on @grpc/grpc-js (127.0.0.1, port 0) that implements grpc.health.v1.Health/Check
// and /test.Echo/Unary (answering its own name), for tests of the gRPC health check. Its messages are
// encoded here byte by byte, not with proto/src/wire/grpc-health.ts, so a mistake there cannot hide
// behind the same mistake on this side.
import * as grpc from '@grpc/grpc-js';
import { json } from './grpc-echo.js';

/** grpc.health.v1.HealthCheckResponse.ServingStatus values this fake answers with. */
export const SERVING = 1;
export const NOT_SERVING = 2;

export interface GrpcHealthUpstream {
  readonly port: number;
  /** The status Check answers for a known service; `hang` never answers. */
  status: number | 'hang';
  /** Services Check knows besides "" (others get NOT_FOUND, as the protocol says). */
  readonly services: Set<string>;
  /** Every Check: the service it asked about and its :authority. */
  readonly checks: Array<{ service: string; authority: string }>;
  /** Echo calls answered. */
  echoes: number;
  close(): void;
}

/**
 * HealthCheckRequest {string service = 1}: a one-byte length is enough for test names. An object, not
 * the bare string: grpc-js takes a falsy request ('') for no request at all.
 */
function decodeRequest(bytes: Buffer): { service: string } {
  if (bytes.length === 0) return { service: '' };
  if (bytes[0] !== 0x0a || bytes[1]! > 127) throw new Error(`unexpected HealthCheckRequest bytes ${bytes.toString('hex')}`);
  return { service: bytes.subarray(2, 2 + bytes[1]!).toString('utf8') };
}

/** Check, for a server (addService) or a client (makeUnaryRequest). */
export const HEALTH_CHECK_METHOD = {
  path: '/grpc.health.v1.Health/Check',
  requestStream: false,
  responseStream: false,
  requestSerialize: ({ service }: { service: string }) => Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(service)]), Buffer.from(service)]),
  requestDeserialize: decodeRequest,
  // HealthCheckResponse {ServingStatus status = 1}: tag 0x08, then the varint.
  responseSerialize: (status: number) => Buffer.from([0x08, status]),
  responseDeserialize: (b: Buffer) => b[1] ?? 0,
};
const ECHO = { path: '/test.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize };

export async function startGrpcHealthUpstream(name: string, status: number | 'hang', credentials = grpc.ServerCredentials.createInsecure()): Promise<GrpcHealthUpstream> {
  const server = new grpc.Server();
  // Callbacks of Checks left unanswered, kept so they are never collected mid-call.
  const hung: Array<grpc.sendUnaryData<number>> = [];
  const up: Omit<GrpcHealthUpstream, 'port'> = {
    status,
    services: new Set(),
    checks: [],
    echoes: 0,
    close: () => server.forceShutdown(),
  };
  server.addService({ Check: HEALTH_CHECK_METHOD } as unknown as grpc.ServiceDefinition, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, callback: grpc.sendUnaryData<number>) => {
      const { service } = call.request;
      up.checks.push({ service, authority: call.getHost() });
      if (service !== '' && !up.services.has(service)) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else if (up.status === 'hang') hung.push(callback);
      else callback(null, up.status);
    },
  });
  server.addService({ Unary: ECHO } as unknown as grpc.ServiceDefinition, {
    Unary: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      up.echoes++;
      callback(null, { n: 0, text: name });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return Object.assign(up, { port });
}
