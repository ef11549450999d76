// ResourceCache over the embedded store: list then watch, read-your-writes, relist on compaction.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmbeddedStore } from '../../control-plane/src/store/embedded-store.js';
import { ResourceCache, type CacheUpdate } from '../../control-plane/src/store/resource-cache.js';
import type { WriteOp } from '../../control-plane/src/store/store.js';
import { GatedWatchStore } from './gated-watch-store.js';
import { cacheContents, cluster, describeStored, route, startWriter } from './store-fixtures.js';
import { until } from '../support/until.js';

const put = (resource: ReturnType<typeof route>): WriteOp => ({ op: 'put', resource });

describe('resource cache', () => {
  test('start lists what is there, then follows every later commit', async (t) => {
    const store = new EmbeddedStore();
    await store.commit([put(route('a')), put(cluster('backend'))], 1);
    const cache = new ResourceCache(store);
    t.after(() => cache.close());
    assert.equal(cache.live, false, 'not live before the first list');
    await cache.start();
    assert.equal(cache.live, true);
    assert.deepEqual(cacheContents(cache), ['Cluster/backend@2', 'Route/a@2']);
    const rev = await store.commit([put(route('b')), { op: 'delete', kind: 'Route', name: 'a' }], 2);
    assert.equal(await cache.waitForRevision(rev, 1000), true);
    assert.deepEqual(cacheContents(cache), [`Cluster/backend@2`, `Route/b@${rev}`]);
    assert.equal(cache.resources.has('Route', 'a'), false);
    assert.equal(cache.resources.get('Route', 'b')?.hosts[0], 'b.example');
  });

  test('waitForRevision answers true once the cache shows it, false on timeout without moving the revision', async (t) => {
    const store = new EmbeddedStore();
    const cache = new ResourceCache(store);
    t.after(() => cache.close());
    await cache.start();
    const before = cache.revision;
    const started = Date.now();
    assert.equal(await cache.waitForRevision(before + 1, 150), false);
    assert.ok(Date.now() - started >= 140);
    assert.equal(cache.revision, before, 'a timeout never moves the revision forward');
    const waiting = cache.waitForRevision(before + 1, 2000);
    const rev = await store.commit([put(route('a'))], before);
    assert.equal(rev, before + 1);
    assert.equal(await waiting, true);
    assert.equal(await cache.waitForRevision(before, 0), true, 'a revision already reached answers at once');
  });

  test('every update names the resources it changed and the revision it reflects', async (t) => {
    const store = new EmbeddedStore();
    const cache = new ResourceCache(store);
    t.after(() => cache.close());
    await cache.start();
    const updates: CacheUpdate[] = [];
    cache.onUpdate((u) => updates.push(u));
    const r1 = await store.commit([put(route('a')), put(route('b'))], cache.revision);
    const r2 = await store.commit([{ op: 'delete', kind: 'Route', name: 'a' }], r1);
    await cache.waitForRevision(r2, 1000);
    assert.deepEqual(updates.map((u) => `${u.revision}: ${u.changed.map((c) => `${c.kind}/${c.name}`).join(',')}`),
      [`${r1}: Route/a,Route/b`, `${r2}: Route/a`]);
  });

  test('a snapshot is left alone by later updates; the live view is not', async (t) => {
    const store = new EmbeddedStore();
    const cache = new ResourceCache(store);
    t.after(() => cache.close());
    await cache.start();
    const r1 = await store.commit([put(route('a'))], cache.revision);
    await cache.waitForRevision(r1, 1000);
    const snapshot = cache.snapshot();
    const r2 = await store.commit([{ op: 'delete', kind: 'Route', name: 'a' }], r1);
    await cache.waitForRevision(r2, 1000);
    assert.equal(snapshot.has('Route', 'a'), true);
    assert.equal(cache.resources.has('Route', 'a'), false);
  });

  test('history compacted between the list and its watch: the cache lists again and loses no write', async (t) => {
    const embedded = new EmbeddedStore();
    await embedded.commit([put(route('seed'))], 1);
    const store = new GatedWatchStore(embedded);
    const cache = new ResourceCache(store);
    t.after(() => cache.close());
    await cache.start();
    const listedAt = cache.revision;
    const writer = startWriter(embedded, 'w', 1);
    await until('10 writes', () => writer.revisions.length >= 10, 2000);
    embedded.compact();
    store.releaseWatches();
    await until(() => `a relist (the cache listed ${store.lists} times)`, () => store.lists >= 2, 2000);
    await new Promise((r) => setTimeout(r, 30));
    const last = await writer.stop();
    assert.equal(await cache.waitForRevision(last, 2000), true);
    assert.deepEqual(store.ends, ['compacted']);
    assert.equal(store.watchesFrom[0], listedAt);
    assert.deepEqual(cacheContents(cache), describeStored((await embedded.list()).resources));
    assert.equal(cache.live, true);
  });

  test('close() during a start that cannot list resolves the start', async () => {
    const store = new EmbeddedStore();
    await store.close(); // every list now fails with SLUICE_STORE_UNAVAILABLE
    const cache = new ResourceCache(store);
    const started = cache.start();
    await new Promise((r) => setTimeout(r, 250)); // a few retries
    await cache.close();
    await started;
    assert.equal(cache.revision, 0);
    assert.equal(cache.live, false);
  });

  test('the store closing under a live cache makes it not live and keeps the last state', async () => {
    const store = new EmbeddedStore();
    const rev = await store.commit([put(route('a'))], 1);
    const cache = new ResourceCache(store);
    await cache.start();
    await store.close();
    await until('the cache to say it is not live', () => !cache.live, 1000);
    assert.equal(cache.revision, rev);
    assert.deepEqual(cacheContents(cache), [`Route/a@${rev}`]);
    await cache.close();
  });
});
