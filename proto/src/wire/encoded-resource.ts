// One resource version encoded once for the wire: the `Resource` submessage of a DiscoveryResponse,
// field tag and length included, shared by every stream that sends it.
import { toBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { ResourceSchema } from '../../gen/sluice/v1/discovery_pb.js';
import type { Kind, Resource } from '../model/kinds.js';
import { toWireResource } from './wire-resource.js';
import { KIND_SCHEMAS } from '../model/kind-schemas.js';

/** DiscoveryResponse.resources is field 2, length-delimited: tag byte (2 << 3) | 2. */
const RESOURCES_TAG = 0x12;

export interface EncodedResource {
  readonly kind: Kind;
  readonly name: string;
  /** Content hash of the spec's protobuf encoding: equal on every replica for equal content. */
  readonly version: string;
  readonly resource: Resource;
  /** `resources` field bytes (tag, length, Resource message), ready to concatenate into a response. */
  readonly field: Buffer;
}

export function encodeResource(resource: Resource): EncodedResource {
  const specBytes = toBinary(KIND_SCHEMAS[resource.kind], resource.spec);
  const version = createHash('sha256').update(specBytes).digest('base64url').slice(0, 22);
  const message = toBinary(ResourceSchema, toWireResource(resource, version));
  return { kind: resource.kind, name: resource.spec.name, version, resource, field: lengthDelimited(RESOURCES_TAG, message) };
}

/** tag, varint length, bytes: one length-delimited protobuf field. */
export function lengthDelimited(tag: number, bytes: Uint8Array): Buffer {
  const len = varint(bytes.length);
  const out = Buffer.allocUnsafe(1 + len.length + bytes.length);
  out[0] = tag;
  len.copy(out, 1);
  out.set(bytes, 1 + len.length);
  return out;
}

export function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}
