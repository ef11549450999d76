// The hand decoder of traffic summaries (traffic-request.ts) gives exactly what bufbuild's decoder
// gives for what proxies send, and leaves anything else (other fields, truncated bytes) to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { decodeTrafficRequest } from '../../proto/src/wire/traffic-request.js';
import { deserializeRequest } from '../../proto/src/wire/service-definition.js';
import { trafficSummary, type TrafficSummaryInit } from '../../data-plane/src/metrics/traffic-summary.js';

const bytesOf = (init: MessageInitShape<typeof DiscoveryRequestSchema>): Buffer => Buffer.from(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, init)));

const summaryOf = (routes: number, name = (i: number): string => `route-${i}`): { type: string; traffic: TrafficSummaryInit } => ({
  type: '',
  traffic: trafficSummary([Array.from({ length: routes }, (_, i) => ({
    route: name(i),
    cluster: `cluster-${i % 7}`,
    byClass: [i, 0, 900 + i * 1000, 30, 50, 7],
    latency: Array.from({ length: 17 }, (_, b) => (b * 37 + i) * 1013),
  }))], 5000 + routes),
});

test('summaries as proxies send them are decoded by hand, to what the generic decoder gives', () => {
  const cases: Array<MessageInitShape<typeof DiscoveryRequestSchema>> = [summaryOf(0), summaryOf(1), summaryOf(20), summaryOf(250), summaryOf(3, (i) => `ruta-ñ-${i}-路由`), { type: '', traffic: {} }, { traffic: { intervalMs: 0xffffffff, omittedRoutes: 3, omittedClusters: 4 } }];
  for (const init of cases) {
    const bytes = bytesOf(init);
    const fast = decodeTrafficRequest(bytes);
    assert.ok(fast !== undefined, `fast path for a summary of ${init.traffic?.routes?.length ?? 0} routes`);
    assert.deepEqual(fast, fromBinary(DiscoveryRequestSchema, bytes));
    assert.deepEqual(deserializeRequest(bytes), fromBinary(DiscoveryRequestSchema, bytes));
  }
});

test('a request with anything besides the summary, or not a summary, goes to the generic decoder', () => {
  const others: Array<MessageInitShape<typeof DiscoveryRequestSchema>> = [
    { ...summaryOf(2), type: 'Cluster' },
    { ...summaryOf(2), health: [{ cluster: 'c', address: '10.0.0.1', port: 80 }] },
    { ...summaryOf(2), node: { id: 'p-1' } },
    { type: 'Cluster', responseNonce: '1' },
    { type: '', health: [{ cluster: 'c', address: '10.0.0.1', port: 80 }] },
  ];
  for (const init of others) {
    const bytes = bytesOf(init);
    assert.equal(decodeTrafficRequest(bytes), undefined);
    assert.deepEqual(deserializeRequest(bytes), fromBinary(DiscoveryRequestSchema, bytes));
  }
});

test('truncated or padded bytes are never taken as a summary', () => {
  const bytes = bytesOf(summaryOf(5));
  for (let cut = 1; cut < bytes.length; cut += 7) assert.equal(decodeTrafficRequest(bytes.subarray(0, bytes.length - cut)), undefined, `cut ${cut}`);
  assert.equal(decodeTrafficRequest(Buffer.concat([bytes, Buffer.from([0x08, 0x01])])), undefined, 'another field after the summary');
});
