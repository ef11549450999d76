// Builds DiscoveryResponse bytes from resource fields encoded once per version (protobuf lets a
// message be the concatenation of its fields, in any order), so a push to N streams encodes nothing.
import type { Kind } from '../../../proto/src/model/kinds.js';
import { lengthDelimited, varint, type EncodedResource } from '../../../proto/src/wire/encoded-resource.js';

// DiscoveryResponse field tags: (field number << 3) | wire type.
const TYPE_TAG = 0x0a;
const REMOVED_TAG = 0x1a;
const NONCE_TAG = 0x22;
const REVISION_TAG = 0x28;

export interface ResponseParts {
  readonly type: Kind;
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
  readonly nonce: string;
  readonly revision: number;
}

export function encodeResponse(parts: ResponseParts): Buffer {
  const chunks: Buffer[] = [lengthDelimited(TYPE_TAG, Buffer.from(parts.type))];
  for (const r of parts.resources) chunks.push(r.field);
  for (const name of parts.removed) chunks.push(lengthDelimited(REMOVED_TAG, Buffer.from(name)));
  chunks.push(lengthDelimited(NONCE_TAG, Buffer.from(parts.nonce)));
  if (parts.revision > 0) chunks.push(Buffer.from([REVISION_TAG]), varint(parts.revision));
  return Buffer.concat(chunks);
}
