// etcd compacts the history a cache still needs while writes go on: the cache lists again and
// ends up with every write (a forced compaction loses no update).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { ResourceCache } from '../../control-plane/src/store/resource-cache.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { GatedWatchStore } from './gated-watch-store.js';
import { cacheContents, describeStored, record, route, startWriter } from './store-fixtures.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await EtcdCluster.start(1);
});
after(async () => {
  await etcd?.stop();
});

test('compaction between the cache\'s list and its watch, writes going on: the cache lists again and loses no update', async (t) => {
  const etcdStore = new EtcdStore({ endpoints: etcd.endpoints });
  t.after(() => etcdStore.close());
  await etcdStore.commit(Array.from({ length: 20 }, (_, i) => ({ op: 'put' as const, resource: route(`seed-${i}`) })), await etcdStore.revision());
  const store = new GatedWatchStore(etcdStore);
  const cache = new ResourceCache(store);
  t.after(() => cache.close());
  await cache.start();
  const listedAt = cache.revision;

  const writer = startWriter(etcdStore, 'w');
  await until('15 writes', () => writer.revisions.length >= 15, 5000);
  await etcdctl(etcd.endpoints, 'compact', String(await etcdStore.revision())); // as an operator (or auto-compaction) would
  store.releaseWatches();
  await until(() => `a relist (the cache listed ${store.lists} times; watch ends ${JSON.stringify(store.ends)})`, () => store.lists >= 2, 5000);
  await until('30 writes', () => writer.revisions.length >= 30, 5000); // writes go on after the relist too
  const last = await writer.stop();

  assert.equal(await cache.waitForRevision(last, 5000), true, `cache at ${cache.revision}, last write ${last}`);
  assert.deepEqual(store.ends, ['compacted']);
  assert.equal(store.watchesFrom[0], listedAt);
  assert.ok(store.watchesFrom[1]! > listedAt, 'the second watch starts from the new list');
  assert.deepEqual(cacheContents(cache), describeStored((await etcdStore.list()).resources));
  assert.equal(cache.live, true);
});

test('a watch resumed after compaction by etcdctl ends with compacted, and a relist sees every write', async (t) => {
  const store = new EtcdStore({ endpoints: etcd.endpoints });
  t.after(() => store.close());
  const from = await store.revision();
  const writer = startWriter(store, 'x', 1);
  await until('10 writes', () => writer.revisions.length >= 10, 5000);
  const last = await writer.stop();
  await etcdctl(etcd.endpoints, 'compact', String(last));
  const w = record(store, from);
  await w.untilEnded();
  assert.deepEqual(w.ends, ['compacted']);
  assert.deepEqual(w.batches, []);
  const listed = await store.list();
  assert.equal(listed.revision, last);
  const live = record(store, listed.revision);
  const next = await store.commit([{ op: 'put', resource: route('after') }], listed.revision);
  await live.until(next);
  assert.deepEqual(live.batches, [`${next}: put Route/after@${next}`]);
  await Promise.all([w.handle.close(), live.handle.close()]);
});
