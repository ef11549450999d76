// etcd comes back with less history than before (data wiped, or restored from an old backup): the
// revision goes backwards, and the cache must list again instead of waiting for revisions that
// will mean something else (etcd documents that a restored member's revision can go backwards).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CacheUpdate } from '../../control-plane/src/store/resource-cache.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { cacheContents, describeStored, record, route, startWriter, etcdStoreWithCache } from './store-fixtures.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await EtcdCluster.start(1);
});
after(async () => {
  await etcd?.stop();
});

test('etcd restarted empty at the same address: the revision goes backwards and the cache lists again', async (t) => {
  const { store, cache } = await etcdStoreWithCache(t, etcd.endpoints);
  const watch = record(store, await store.revision());
  t.after(() => watch.handle.close());
  const writer = startWriter(store, 'old', 1);
  await until('25 writes', () => writer.revisions.length >= 25, 5000);
  const lastOld = await writer.stop();
  assert.equal(await cache.waitForRevision(lastOld, 5000), true);
  const updates: CacheUpdate[] = [];
  cache.onUpdate((u) => updates.push(u));

  await etcd.restart({ wipeData: true });
  let restored = 0;
  await until('a write to the restored etcd', async () => {
    try {
      restored = await store.commit([{ op: 'put', resource: route('new-a') }, { op: 'put', resource: route('new-b') }], await store.revision());
      return true;
    } catch {
      return false;
    }
  }, 5000);
  assert.ok(restored < lastOld, `the new etcd is at ${restored}, below ${lastOld}`);

  await until(() => `the cache at ${restored} with two resources (it is at ${cache.revision}: ${cacheContents(cache).join(' ')})`, () => cache.revision === restored && cacheContents(cache).length === 2, 5000);
  assert.deepEqual(cacheContents(cache), describeStored((await store.list()).resources));
  assert.deepEqual(cacheContents(cache), [`Route/new-a@${restored}`, `Route/new-b@${restored}`]);
  assert.ok(updates.some((u) => u.changed.some((c) => c.name.startsWith('old-'))), 'the relist reported the old resources as removed');
  await until('the cache to be live', () => cache.live, 3000);

  // A bare watch is told why it cannot go on.
  await watch.untilEnded();
  assert.deepEqual(watch.ends, ['compacted']);
  assert.ok(watch.log.some((l) => /^resumed \d+$/.test(l) && Number(l.split(' ')[1]) < lastOld), JSON.stringify(watch.log));

  const next = await store.commit([{ op: 'delete', kind: 'Route', name: 'new-a' }], restored);
  assert.equal(await cache.waitForRevision(next, 3000), true);
  assert.deepEqual(cacheContents(cache), [`Route/new-b@${restored}`]);
});
