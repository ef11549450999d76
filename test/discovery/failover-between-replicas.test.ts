// Two control-plane replicas on one etcd: a proxy whose replica goes away moves to the other one,
// gets nothing resent (versions are content hashes, equal on every replica), and keeps receiving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { cluster, openEtcdStore, route, sleep, startProxy, startReplica, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
let replicas: Replica[] = [];
let proxy: TestProxy;

before(async () => {
  etcd = await EtcdCluster.start();
  replicas = [await startReplica(etcd), await startReplica(etcd)];
  await replicas[0]!.api.apply([cluster('web'), route('before', 'web')]);
  proxy = await startProxy(replicas.map((r) => r.address), { nodeId: 'failover-1' });
  await until('initial configuration', () => proxy.client.current.has('Route', 'before'), 8_000);
});

after(async () => {
  await proxy?.stop();
  for (const r of replicas) await r.stop().catch(() => undefined);
  await etcd?.stop();
});

test('a proxy fails over to the other replica when its replica stops, and nothing is resent', async () => {
  const first = replicas.find((r) => r.address === proxy.client.connectedTo);
  assert.ok(first !== undefined, `connected to ${proxy.client.connectedTo}`);
  const other = replicas.find((r) => r !== first)!;
  await until('the other replica has seen the configuration', async () => (await other.api.get('/v1/routes/before')).status === 200, 8_000);
  await sleep(100); // the other replica's snapshot debounce
  const before = proxy.responses.length;

  await first.stop();
  await until('reconnected to the other replica', () => proxy.client.connectedTo === other.address, 8_000);
  await until('listed on the other replica', async () => (await other.api.get('/v1/proxies')).body.proxies.some((p: { nodeId: string; ackedRevision: number }) => p.nodeId === 'failover-1' && p.ackedRevision > 0), 8_000);
  assert.equal(proxy.responses.length, before, 'the other replica resent nothing the proxy already had');
  assert.ok(proxy.client.current.has('Route', 'before'), 'the configuration stayed while switching');

  await other.api.apply([route('after', 'web')]);
  await until('a change through the other replica reached the proxy', () => proxy.client.current.has('Route', 'after'), 8_000);
  assert.deepEqual(proxy.rejected, []);
});

test('the proxy keeps its configuration while no replica answers, and catches up when one is back', async () => {
  const survivor = replicas.find((r) => r.address === proxy.client.connectedTo)!;
  await survivor.stop();
  // Between reconnect attempts (each to a closed port, with growing backoff) the client has no stream;
  // an attempt still in flight when stop() resolves may look connected for a moment.
  await until('no replica answers', () => proxy.client.connectedTo === undefined, 8_000);
  assert.ok(proxy.client.current.has('Route', 'after'), 'the last good configuration stays while disconnected');

  // Changed while every replica is down, then a replica comes back on one of the proxy's addresses.
  const admin = await openEtcdStore(etcd.endpoints);
  try {
    const { kind: _k, ...spec } = route('meanwhile', 'web');
    await admin.commit([{ op: 'put', resource: specFromJson('Route', spec) }], await admin.revision());
  } finally {
    await admin.close();
  }
  const port = Number(survivor.address.split(':')[1]);
  replicas.push(await startReplica(etcd, { port }));
  await until('the proxy caught up through the returning replica', () => proxy.client.current.has('Route', 'meanwhile'), 10_000);
  assert.ok(proxy.client.current.has('Route', 'after'));
  assert.deepEqual(proxy.rejected, []);
});
