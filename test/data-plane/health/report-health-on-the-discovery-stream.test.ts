// DiscoveryClient.reportHealth against a real gRPC server speaking the discovery service (a fake
// control plane: the seam is our own protocol). Reports go out at once as a type '' request carrying
// only `health`; after a reconnect the first request of the new stream carries the latest report of
// every endpoint (HEALTHY included), and an UNKNOWN report is forgotten.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { discoveryServiceDefinition } from '../../../proto/src/wire/service-definition.js';
import { DiscoveryClient } from '../../../data-plane/src/discovery/discovery-client.js';
import type { DiscoveryRequest } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { KINDS } from '../../../proto/src/model/kinds.js';
import { until } from '../../support/until.js';

interface Stream { requests: DiscoveryRequest[]; call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer> }

test('reportHealth: sent at once on the stream, the full view again on the first request after a reconnect', { timeout: 30_000 }, async (t) => {
  const streams: Stream[] = [];
  const server = new grpc.Server();
  server.addService(discoveryServiceDefinition, {
    Stream: (call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>) => {
      const s: Stream = { requests: [], call };
      streams.push(s);
      call.on('data', (r: DiscoveryRequest) => s.requests.push(r));
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => server.forceShutdown());
  const client = new DiscoveryClient({ addresses: [`127.0.0.1:${port}`], node: { id: 'proxy-1' }, token: 't', apply: async () => {}, backoff: { initialMs: 20, maxMs: 50 } });
  await client.start();
  t.after(() => client.stop());
  // One subscription per kind.
  const subscriptions = KINDS.length;
  await until('the subscriptions', () => streams[0]?.requests.length === subscriptions, 5_000);
  assert.deepEqual(streams[0]!.requests[0]!.health, [], 'nothing to report yet');

  client.reportHealth([
    { cluster: 'web', address: '10.0.0.1', port: 80, health: Health.UNHEALTHY, reason: 'http 503' },
    { cluster: 'web', address: '10.0.0.2', port: 80, health: Health.HEALTHY, reason: 'http 200' },
  ]);
  await until('the report', () => streams[0]!.requests.length === subscriptions + 1, 5_000);
  const report = streams[0]!.requests[subscriptions]!;
  assert.equal(report.type, '');
  assert.deepEqual(report.subscribe, []);
  assert.equal(report.node, undefined);
  assert.deepEqual(report.health.map((h) => [h.address, h.health, h.reason]), [['10.0.0.1', Health.UNHEALTHY, 'http 503'], ['10.0.0.2', Health.HEALTHY, 'http 200']]);

  // Later reports replace earlier ones per endpoint; UNKNOWN (no longer checked) is sent, then forgotten.
  client.reportHealth([{ cluster: 'web', address: '10.0.0.1', port: 80, health: Health.HEALTHY, reason: 'http 200' }]);
  client.reportHealth([{ cluster: 'web', address: '10.0.0.3', port: 80, health: Health.UNHEALTHY, reason: 'timeout after 1000ms' }]);
  client.reportHealth([{ cluster: 'web', address: '10.0.0.3', port: 80, health: Health.UNKNOWN, reason: 'no longer checked' }]);
  await until('three more reports', () => streams[0]!.requests.length === subscriptions + 4, 5_000);

  // The stream breaks (a replica goes away): the next stream's first request has the full view.
  streams[0]!.call.end();
  await until('a second stream', () => (streams[1]?.requests.length ?? 0) >= 1, 5_000);
  const first = streams[1]!.requests[0]!;
  assert.equal(first.node?.id, 'proxy-1');
  assert.deepEqual(first.health.map((h) => [h.address, h.health]).sort(), [['10.0.0.1', Health.HEALTHY], ['10.0.0.2', Health.HEALTHY]]);
});
