// etcd dies and comes back: store calls fail fast while it is down, the cache keeps serving its
// last state and is not live, and both recover by themselves (an etcd restart loses no update).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../control-plane/src/errors.js';
import type { WriteOp } from '../../control-plane/src/store/store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { cacheContents, describeStored, record, rejectsWithCode, route, startWriter, etcdStoreWithCache } from './store-fixtures.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await EtcdCluster.start(1);
});
after(async () => {
  await etcd?.stop();
});

const put = (name: string, host?: string): WriteOp => ({ op: 'put', resource: route(name, host) });

test('etcd killed and restarted: calls fail fast while it is down, the cache keeps its state and catches up after', async (t) => {
  const { store, cache } = await etcdStoreWithCache(t, etcd.endpoints);
  const watch = record(store, await store.revision());
  t.after(() => watch.handle.close());

  const writer = startWriter(store, 'before');
  await until('10 writes', () => writer.revisions.length >= 10, 5000);
  const lastBefore = await writer.stop();
  assert.equal(await cache.waitForRevision(lastBefore, 5000), true, `cache at ${cache.revision} live=${cache.live}, last write ${lastBefore}; watch ${JSON.stringify(watch.log)} ${JSON.stringify(writer.revisions)}`);
  const stateBefore = cacheContents(cache);

  await etcd.kill();
  await until('the cache to say it is not live', () => !cache.live, 3000);
  for (const [what, call] of [
    ['commit', () => store.commit([put('while-down')], lastBefore)],
    ['list', () => store.list()],
    ['get', () => store.get('Route', 'before-1')],
    ['revision', () => store.revision()],
  ] as const) {
    const started = Date.now();
    await rejectsWithCode(call(), ErrorCode.StoreUnavailable);
    const ms = Date.now() - started;
    assert.ok(ms < 1500, `${what} took ${ms} ms to fail`);
  }
  assert.equal(await cache.waitForRevision(lastBefore + 1, 300), false);
  assert.equal(cache.revision, lastBefore, 'the revision does not move while etcd is down');
  assert.deepEqual(cacheContents(cache), stateBefore, 'reads keep the last watched state');

  const downAt = Date.now();
  await etcd.restart();
  const restartedAt = Date.now();
  let firstAfter = 0;
  await until('the store to answer after the restart', async () => {
    try {
      firstAfter = await store.commit([put('after-restart')], await store.revision());
      return true;
    } catch (err) {
      assert.equal((err as { code?: string }).code, ErrorCode.StoreUnavailable);
      return false;
    }
  }, 5000);
  t.diagnostic(`etcd down ${restartedAt - downAt} ms; store answered ${Date.now() - restartedAt} ms after etcd was healthy`);

  const after = startWriter(store, 'after');
  await until('10 writes after the restart', () => after.revisions.length >= 10, 5000);
  const lastAfter = await after.stop();
  assert.ok(firstAfter > lastBefore);
  assert.equal(await cache.waitForRevision(lastAfter, 5000), true, `cache at ${cache.revision}, last write ${lastAfter}`);
  await until('the cache to be live', () => cache.live, 3000);
  assert.deepEqual(cacheContents(cache), describeStored((await store.list()).resources));

  // The raw watch saw the outage and every revision exactly once.
  await watch.until(lastAfter);
  assert.ok(watch.log.includes('interrupted'), JSON.stringify(watch.log));
  assert.ok(watch.log.some((l) => l.startsWith('resumed ')), JSON.stringify(watch.log));
  const revisions = watch.batches.map((b) => Number(b.split(':')[0]));
  assert.deepEqual(revisions, [...new Set(revisions)].sort((a, b) => a - b));
  assert.ok(revisions.includes(firstAfter) && revisions.includes(lastAfter));
  assert.deepEqual(watch.ends, []);
});
