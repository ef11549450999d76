// Two discovery streams of one node on one gRPC connection (any gRPC client may open a new
// stream on the channel it has, e.g. before ending the old one). They share the connection's peer
// address, yet they are two streams: when the older one closes, the newer one's registration must
// stay alive and its health votes must stay counted. Real etcd, real gRPC (grpc-js client).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema, HealthReportSchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { DISCOVERY_STREAM_PATH, deserializeResponse, serializeRequest } from '../../proto/src/wire/service-definition.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';

const TOKEN = 'two-streams-token';
const TTL_SECONDS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the older stream of a node closes on a shared connection: the newer keeps its registration and votes', { timeout: 60_000 }, async (t) => {
  const etcd = await EtcdCluster.start(1);
  t.after(() => etcd.stop());
  const cp = new ControlPlane({
    etcdEndpoints: etcd.endpoints, token: TOKEN, apiListen: { host: '127.0.0.1', port: 0 }, discoveryListen: { host: '127.0.0.1', port: 0 },
    log: createLogger({ level: 'error' }), health: { replicaId: 'r1', leaseTtlSeconds: TTL_SECONDS },
  });
  await cp.start();
  t.after(() => cp.stop());

  const client = new grpc.Client(cp.discovery!.address, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${TOKEN}`);
  const open = () => {
    const call = client.makeBidiStreamRequest(DISCOVERY_STREAM_PATH, serializeRequest, deserializeResponse, metadata, {});
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    call.write(create(DiscoveryRequestSchema, {
      node: { id: 'p1', service: 'app', selfEndpoint: { address: '10.1.0.1', port: 8080 } },
      type: '',
      health: [create(HealthReportSchema, { cluster: 'web', address: '10.0.0.9', port: 80, health: Health.UNHEALTHY })],
    }));
    return call;
  };
  const registration = async () => (await etcdctl(etcd.endpoints, 'get', '/sluice/registrations/app/p1', '--print-value-only')).trim();
  const entry = async () => (await etcdctl(etcd.endpoints, 'get', '/sluice/health/web/10.0.0.9:80/r1', '--print-value-only')).trim();

  const first = open();
  await sleep(500);
  const second = open();
  await sleep(500);
  assert.equal(cp.discovery!.registry.size, 2, 'two streams of p1');
  first.cancel();
  await sleep(500);
  assert.equal(cp.discovery!.registry.size, 1, 'the newer stream is open');

  // Well past the TTL: the open stream keeps its registration alive, and its vote keeps the entry.
  await sleep((TTL_SECONDS + 3) * 1000);
  assert.match(await registration(), /"nodeId":"p1"/, 'the open stream\'s registration is alive');
  assert.match(await entry(), /UNHEALTHY/, 'the open stream\'s vote is still counted');
  second.cancel();
});
