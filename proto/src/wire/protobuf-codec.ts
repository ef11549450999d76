// grpc-js serializers for bufbuild messages: the unary services on the discovery port (IdentityService,
// RateLimitService) are written out for @grpc/grpc-js with these.
import { fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';

export function serializer<S extends DescMessage>(schema: S): (message: MessageShape<S>) => Buffer {
  return (message) => {
    const bytes = toBinary(schema, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

export function deserializer<S extends DescMessage>(schema: S): (bytes: Buffer) => MessageShape<S> {
  return (bytes) => fromBinary(schema, bytes);
}
