// The request a fleet sends most: an ACK, which carries only `type` and `response_nonce`. Decoded by
// hand, because bufbuild's reflective decoder costs about 10 µs for it (a zero message of every
// field, then each field looked up by number): at 10,000 proxies, every change brings thousands of
// ACKs to one replica. Anything else (a NACK, subscriptions, a node, health, any non-ASCII text)
// returns undefined and takes the generic decoder.
import type { DiscoveryRequest } from '../../gen/sluice/v1/discovery_pb.js';

// DiscoveryRequest field tags, (field number << 3) | wire type 2 (length-delimited).
const TYPE_TAG = (2 << 3) | 2;
const RESPONSE_NONCE_TAG = (6 << 3) | 2;

export function decodeAckRequest(bytes: Uint8Array): DiscoveryRequest | undefined {
  let type = '';
  let responseNonce = '';
  let pos = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++];
    if (tag !== TYPE_TAG && tag !== RESPONSE_NONCE_TAG) return undefined;
    // The length: one byte for anything below 128, as a kind name and a nonce always are.
    const length = bytes[pos++];
    if (length === undefined || length >= 0x80) return undefined;
    const end = pos + length;
    if (end > bytes.length) return undefined;
    let text = '';
    for (let i = pos; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return undefined;
      text += String.fromCharCode(c);
    }
    pos = end;
    // A repeated scalar field: the last one counts, as in any protobuf decoder.
    if (tag === TYPE_TAG) type = text;
    else responseNonce = text;
  }
  return {
    $typeName: 'sluice.v1.DiscoveryRequest',
    type,
    subscribe: [],
    unsubscribe: [],
    initialResourceVersions: {},
    responseNonce,
    health: [],
    knownRevision: 0n,
  };
}
