// A maximum connection age makes proxies reconnect now and then, so they spread over replicas (new
// ones included); the reconnects resend nothing the proxy already has.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { cluster, route, startProxy, startReplica, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
let replicas: Replica[] = [];
let proxy: TestProxy;

before(async () => {
  etcd = await EtcdCluster.start();
  const server = { maxConnectionAgeMs: 400, maxConnectionAgeGraceMs: 100 };
  replicas = [await startReplica(etcd, { server }), await startReplica(etcd, { server })];
  await replicas[0]!.api.apply([cluster('web'), route('aged', 'web')]);
  await until('both replicas saw the write', async () => (await replicas[1]!.api.get('/v1/routes/aged')).status === 200, 8_000);
});

after(async () => {
  await proxy?.stop();
  for (const r of replicas) await r.stop();
  await etcd?.stop();
});

test('connections older than the maximum age are closed, the proxy reconnects over both replicas, and nothing is resent', async () => {
  const visited: string[] = [];
  proxy = await startProxy(replicas.map((r) => r.address), { nodeId: 'aged-1', backoff: { initialMs: 20, maxMs: 100 } });
  proxy.client.on('connected', (a) => visited.push(a));
  await until('initial configuration', () => proxy.client.current.has('Route', 'aged'), 8_000);
  const afterSync = proxy.responses.length;
  await until('reconnected to both replicas after connection-age closes', () => new Set(visited).size === 2 && visited.length >= 3, 10_000);
  assert.equal(proxy.responses.length, afterSync, 'the reconnects resent nothing');
  assert.ok(proxy.client.current.has('Route', 'aged'));
  await replicas[1]!.api.apply([route('aged-2', 'web')]);
  await until('changes still arrive', () => proxy.client.current.has('Route', 'aged-2'), 8_000);
});
