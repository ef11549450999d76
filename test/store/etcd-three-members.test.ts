// A three-member etcd, as in production: losing one member (even the leader) leaves writes working,
// and a cache whose member died catches up through compaction when it comes back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { ResourceCache } from '../../control-plane/src/store/resource-cache.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { GatedWatchStore } from './gated-watch-store.js';
import { cacheContents, describeStored, route, startWriter, etcdStoreWithCache } from './store-fixtures.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await EtcdCluster.start(3);
});
after(async () => {
  await etcd?.stop();
});

/** The index of the member that leads, from `etcdctl endpoint status`. */
async function leaderIndex(): Promise<number> {
  const status = JSON.parse(await etcdctl(etcd.endpoints, 'endpoint', 'status', '-w', 'json')) as Array<{ Endpoint: string; Status: { header: { member_id: number }; leader: number } }>;
  const leader = status.find((s) => s.Status.header.member_id === s.Status.leader);
  assert.ok(leader, JSON.stringify(status));
  return etcd.endpoints.indexOf(leader.Endpoint);
}

test('the leader killed: writes go on through the other members and the cache follows', async (t) => {
  const { store, cache } = await etcdStoreWithCache(t, etcd.endpoints);
  const first = await store.commit([{ op: 'put', resource: route('before') }], await store.revision());
  assert.equal(await cache.waitForRevision(first, 3000), true);

  const leader = await leaderIndex();
  await etcd.killMember(leader);
  const killedAt = Date.now();
  // An election takes about one election timeout (500 ms here); the first write waits for it.
  let firstAfter = 0;
  await until('a write to succeed after the leader died', async () => {
    try {
      firstAfter = await store.commit([{ op: 'put', resource: route('after-kill') }], await store.revision());
      return true;
    } catch {
      return false;
    }
  }, 5000);
  t.diagnostic(`first write after the leader died: ${Date.now() - killedAt} ms`);

  const writer = startWriter(store, 'w');
  await until('20 writes', () => writer.revisions.length >= 20, 5000);
  const last = await writer.stop();
  assert.ok(last > firstAfter);
  assert.equal(await cache.waitForRevision(last, 5000), true, `cache at ${cache.revision}, last write ${last}`);
  await until('the cache to be live', () => cache.live, 3000);
  assert.deepEqual(cacheContents(cache), describeStored((await store.list()).resources));
  await etcd.restartMember(leader);
});

test('the cache\'s only member down while the others write and compact: back, it lists again and loses nothing', async (t) => {
  const cacheStore = new EtcdStore({ endpoints: [etcd.endpoint(0)] });
  t.after(() => cacheStore.close());
  const writerStore = new EtcdStore({ endpoints: [etcd.endpoint(1), etcd.endpoint(2)] });
  t.after(() => writerStore.close());
  const seen = new GatedWatchStore(cacheStore); // gate open: it only counts lists and watch ends
  seen.releaseWatches();
  const cache = new ResourceCache(seen);
  t.after(() => cache.close());
  await cache.start();

  await etcd.killMember(0);
  await until('the cache to say it is not live', () => !cache.live, 3000);
  const writer = startWriter(writerStore, 'p', 1);
  await until('20 writes', () => writer.revisions.length >= 20, 5000);
  const last = await writer.stop();
  await etcdctl([etcd.endpoint(1)], 'compact', String(last));
  await etcd.restartMember(0);

  assert.equal(await cache.waitForRevision(last, 5000), true, `cache at ${cache.revision}, last write ${last}`);
  await until('the cache to be live', () => cache.live, 3000);
  assert.deepEqual(cacheContents(cache), describeStored((await writerStore.list()).resources));
  assert.deepEqual(seen.ends, ['compacted']);
  assert.equal(seen.lists, 2);
});
