// The hand decoder of ACKs (ack-request.ts) gives exactly what bufbuild's decoder gives, takes every
// plain ACK, and leaves every other request to the generic decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { decodeAckRequest } from '../../proto/src/wire/ack-request.js';
import { deserializeRequest } from '../../proto/src/wire/service-definition.js';

const bytesOf = (init: MessageInitShape<typeof DiscoveryRequestSchema>): Buffer => Buffer.from(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, init)));

test('a plain ACK is decoded by hand, to what the generic decoder gives', () => {
  for (const init of [{ type: 'Cluster', responseNonce: '1a' }, { type: 'Route', responseNonce: 'z'.repeat(127) }, { type: 'Listener' }, { responseNonce: '7' }, {}]) {
    const bytes = bytesOf(init);
    const fast = decodeAckRequest(bytes);
    assert.ok(fast !== undefined, `fast path for ${JSON.stringify(init)}`);
    assert.deepEqual(fast, fromBinary(DiscoveryRequestSchema, bytes));
    assert.deepEqual(deserializeRequest(bytes), fromBinary(DiscoveryRequestSchema, bytes));
  }
});

test('a field given twice: the last one counts, as in the generic decoder', () => {
  const bytes = Buffer.concat([bytesOf({ type: 'Cluster', responseNonce: '1' }), bytesOf({ type: 'Route' })]);
  assert.equal(decodeAckRequest(bytes)?.type, 'Route');
  assert.deepEqual(decodeAckRequest(bytes), fromBinary(DiscoveryRequestSchema, bytes));
});

test('every other request is left to the generic decoder, and decoded by it', () => {
  const others: Array<MessageInitShape<typeof DiscoveryRequestSchema>> = [
    { type: 'Cluster', responseNonce: '3', errorDetail: { message: 'bad cluster' } },
    { type: 'Cluster', subscribe: ['*'], node: { id: 'p-1', service: 'web' } },
    { type: 'Route', unsubscribe: ['r1'] },
    { type: 'Route', initialResourceVersions: { r1: 'v1' } },
    { type: 'Cluster', knownRevision: 42n },
    { type: '', health: [{ cluster: 'c', address: '10.0.0.1', port: 80 }] },
    { type: 'Clüster', responseNonce: '1' },
    { type: 'Route', responseNonce: 'n'.repeat(200) },
  ];
  for (const init of others) {
    const bytes = bytesOf(init);
    assert.equal(decodeAckRequest(bytes), undefined, JSON.stringify(init, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    assert.deepEqual(deserializeRequest(bytes), fromBinary(DiscoveryRequestSchema, bytes));
  }
});

test('truncated bytes are not taken as an ACK', () => {
  const bytes = bytesOf({ type: 'Cluster', responseNonce: '12' });
  assert.equal(decodeAckRequest(bytes.subarray(0, bytes.length - 1)), undefined);
});
