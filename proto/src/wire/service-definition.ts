// sluice.v1.DiscoveryService written out for @grpc/grpc-js, with the bufbuild messages: the server
// passes prebuilt response bytes through (see response-encoder.ts); clients decode them.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../gen/sluice/v1/discovery_pb.js';
import { decodeAckRequest } from './ack-request.js';
import { decodeTrafficRequest } from './traffic-request.js';

export const DISCOVERY_STREAM_PATH = '/sluice.v1.DiscoveryService/Stream';

export function serializeRequest(request: DiscoveryRequest): Buffer {
  const bytes = toBinary(DiscoveryRequestSchema, request);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function deserializeRequest(bytes: Buffer): DiscoveryRequest {
  return decodeAckRequest(bytes) ?? decodeTrafficRequest(bytes) ?? fromBinary(DiscoveryRequestSchema, bytes);
}

export function deserializeResponse(bytes: Buffer): DiscoveryResponse {
  return fromBinary(DiscoveryResponseSchema, bytes);
}

/** The server's view: responses are already encoded. */
export const discoveryServiceDefinition: ServiceDefinition = {
  Stream: {
    path: DISCOVERY_STREAM_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeRequest,
    requestDeserialize: deserializeRequest,
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: deserializeResponse,
  },
};
