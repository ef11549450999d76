// etcd compacts its history while proxies are streaming: nothing is lost, either while the watch is
// live or when it has to resume from a compacted revision and the control plane lists again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import type { WriteOp } from '../../control-plane/src/store/store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { PausableWatchStore } from './support/pausable-watch-store.js';
import { cluster, openEtcdStore, route, startProxy, startReplica, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
let store: PausableWatchStore;
/** The test's own connection to etcd: writes and compactions the control plane only sees by watching. */
let admin: Awaited<ReturnType<typeof openEtcdStore>> & { compact(revision?: number): Promise<void> };
let cp: Replica;
let proxy: TestProxy;

const putRoute = (name: string, priority = 0): WriteOp => {
  const { kind: _k, ...spec } = route(name, 'web', { priority });
  return { op: 'put', resource: specFromJson('Route', spec) };
};

async function write(ops: WriteOp[]): Promise<number> {
  return await admin.commit(ops, await admin.revision());
}

/** The proxy holds exactly what etcd holds. */
async function proxyMatchesStore(): Promise<boolean> {
  const { resources } = await admin.list();
  const want = resources.map((r) => `${r.resource.kind}/${r.resource.spec.name}/${'priority' in r.resource.spec ? r.resource.spec.priority : ''}`).sort();
  const have = [...proxy.client.current.all()].map((r) => `${r.kind}/${r.spec.name}/${'priority' in r.spec ? r.spec.priority : ''}`).sort();
  return JSON.stringify(want) === JSON.stringify(have);
}

before(async () => {
  etcd = await EtcdCluster.start();
  admin = (await openEtcdStore(etcd.endpoints)) as typeof admin;
  store = new PausableWatchStore(await openEtcdStore(etcd.endpoints));
  cp = await startReplica(store);
  await cp.api.apply([cluster('web'), ...Array.from({ length: 10 }, (_, i) => route(`c${i}`, 'web'))]);
  proxy = await startProxy([cp.address], { nodeId: 'compaction-1' });
  await until('initial configuration', () => proxy.client.current.list('Route').length === 10, 8_000);
});

after(async () => {
  await proxy?.stop();
  await cp?.stop();
  await admin?.close();
  await etcd?.stop();
});

test('compactions between writes on a live watch lose nothing', async () => {
  for (let i = 0; i < 5; i++) {
    await write([putRoute(`live${i}`)]);
    await admin.compact();
  }
  await write([{ op: 'delete', kind: 'Route', name: 'c0' }, putRoute('c1', 7)]);
  await admin.compact();
  await until('the proxy matches etcd', proxyMatchesStore, 8_000);
  assert.ok(proxy.client.current.has('Route', 'live4'));
  assert.equal(proxy.client.current.has('Route', 'c0'), false);
  assert.deepEqual(proxy.rejected, []);
});

test('a watch that resumes from a compacted revision lists again, and the stream gets every change', async () => {
  const connects: string[] = [];
  proxy.client.on('connected', (a) => connects.push(a));
  await store.pause();
  // While the control plane cannot see etcd: adds, a change, deletes, then compaction of it all.
  await write([putRoute('hidden-a'), putRoute('hidden-b')]);
  await write([putRoute('c2', 9), { op: 'delete', kind: 'Route', name: 'c3' }]);
  await write([{ op: 'delete', kind: 'Route', name: 'hidden-b' }]);
  const top = await write([putRoute('hidden-c')]);
  await admin.compact(top);
  assert.equal(proxy.client.current.has('Route', 'hidden-a'), false, 'nothing got through while the watch was cut off');

  store.resume();
  await until('the proxy matches etcd', proxyMatchesStore, 8_000);
  assert.ok(cp.logs.some((l) => l.includes('"reason":"compacted"')), 'the control plane listed again because of the compaction');
  assert.equal(proxy.client.current.get('Route', 'c2')?.priority, 9);
  assert.equal(proxy.client.current.has('Route', 'c3'), false);
  assert.equal(proxy.client.current.has('Route', 'hidden-b'), false);
  assert.deepEqual(connects, [], 'the discovery stream stayed up throughout');
  assert.deepEqual(proxy.rejected, []);
  await until('the rollout shows the proxy at the latest revision', async () => (await cp.api.get(`/v1/rollout?revision=${top}`)).body.at === 1, 8_000);
});
