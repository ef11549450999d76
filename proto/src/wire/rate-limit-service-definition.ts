// sluice.v1.RateLimitService written out for @grpc/grpc-js with the bufbuild messages: the control plane
// serves it on the discovery port, proxies borrow the tokens of `scope: mesh` rate limits from it. The
// bounds are the protocol's: the server refuses a request beyond them, the proxy never sends one.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { BorrowRequestSchema, BorrowResponseSchema, type BorrowRequest, type BorrowResponse } from '../../gen/sluice/v1/rate_limit_pb.js';
import { deserializer, serializer } from './protobuf-codec.js';

export const BORROW_PATH = '/sluice.v1.RateLimitService/Borrow';

/** Longest instance key, in UTF-8 bytes (a route name, the filter's name and its config). */
export const MAX_INSTANCE_KEY_BYTES = 4096;
/** Longest bucket key, in UTF-8 bytes; a proxy sends a hash of a longer header value. */
export const MAX_BUCKET_KEY_BYTES = 1024;
/** Most tokens one Borrow asks for (a lease and the requests waiting for it). */
export const MAX_BORROW_WANTED = 10_000;

export const serializeBorrowRequest: (m: BorrowRequest) => Buffer = serializer(BorrowRequestSchema);
export const deserializeBorrowRequest: (b: Buffer) => BorrowRequest = deserializer(BorrowRequestSchema);
export const serializeBorrowResponse: (m: BorrowResponse) => Buffer = serializer(BorrowResponseSchema);
export const deserializeBorrowResponse: (b: Buffer) => BorrowResponse = deserializer(BorrowResponseSchema);

export const rateLimitServiceDefinition: ServiceDefinition = {
  Borrow: {
    path: BORROW_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: serializeBorrowRequest,
    requestDeserialize: deserializeBorrowRequest,
    responseSerialize: serializeBorrowResponse,
    responseDeserialize: deserializeBorrowResponse,
  },
};

/** What is wrong with `request` (its field and why), or undefined when it is within the protocol's bounds. */
export function borrowRequestProblem(request: BorrowRequest): { readonly field: string; readonly message: string } | undefined {
  if (request.instanceKey === '') return { field: 'instance_key', message: 'is required' };
  if (Buffer.byteLength(request.instanceKey) > MAX_INSTANCE_KEY_BYTES) return { field: 'instance_key', message: `is longer than ${MAX_INSTANCE_KEY_BYTES} bytes` };
  if (Buffer.byteLength(request.bucketKey) > MAX_BUCKET_KEY_BYTES) return { field: 'bucket_key', message: `is longer than ${MAX_BUCKET_KEY_BYTES} bytes` };
  if (!(request.ratePerSecond > 0) || !Number.isFinite(request.ratePerSecond)) return { field: 'rate_per_second', message: 'must be a finite number above 0' };
  if (!(request.burst >= 1) || !Number.isFinite(request.burst)) return { field: 'burst', message: 'must be a finite number of at least 1' };
  if (request.wanted < 1 || request.wanted > MAX_BORROW_WANTED) return { field: 'wanted', message: `must be 1 to ${MAX_BORROW_WANTED}` };
  return undefined;
}
