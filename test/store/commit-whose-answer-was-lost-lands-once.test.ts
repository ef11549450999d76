// A commit whose answer is lost (the member applied it, then the connection broke) is tried again, and
// the second attempt's failed compare is recognized as our own first attempt: the caller gets the
// revision it landed at, not SLUICE_CONFLICT for its own If-Match, not a 503 for a write that was
// applied, and etcd holds the write once. A commit whose request was lost is simply applied once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { LossyProxy } from './lossy-proxy.js';
import { route } from './store-fixtures.js';

let etcd: EtcdCluster;
let proxy: LossyProxy;
let store: EtcdStore;
let direct: EtcdStore;

before(async () => {
  etcd = await EtcdCluster.start(1);
  proxy = await LossyProxy.start(Number(new URL(etcd.endpoint(0)).port));
  store = new EtcdStore({ endpoints: [proxy.endpoint] });
  direct = new EtcdStore({ endpoints: etcd.endpoints });
});

after(async () => {
  await store?.close();
  await direct?.close();
  await proxy?.close();
  await etcd?.stop();
});

test('answer lost after an If-Match put and a delete: both resolve with the revision they landed at', async () => {
  const created = await store.commit([{ op: 'put', resource: route('lost', 'v1.example'), ifRevision: 0 }], await store.revision());

  const validatedAt = await store.revision();
  const droppedBefore = proxy.dropped;
  proxy.loseNextAnswer();
  const updated = await store.commit([{ op: 'put', resource: route('lost', 'v2.example'), ifRevision: created }], validatedAt);
  assert.ok(proxy.dropped > droppedBefore, 'the answer to the first attempt was lost');
  const stored = await direct.get('Route', 'lost');
  assert.equal(stored?.revision, updated, 'the revision returned is the one the write landed at');
  assert.deepEqual((stored?.resource.spec as { hosts: string[] }).hosts, ['v2.example']);
  assert.equal(await direct.revision(), updated, 'applied once: nothing after it');

  const droppedBeforeDelete = proxy.dropped;
  proxy.loseNextAnswer();
  const deleted = await store.commit([{ op: 'delete', kind: 'Route', name: 'lost', ifRevision: updated }], await direct.revision());
  assert.ok(proxy.dropped > droppedBeforeDelete, 'the answer to the delete was lost');
  assert.equal(await direct.get('Route', 'lost'), undefined);
  assert.equal(await direct.revision(), deleted);
});

test('request lost before it reached etcd: the commit is applied once, on the next attempt', async () => {
  const validatedAt = await store.revision();
  const droppedBefore = proxy.dropped;
  proxy.loseNextRequest();
  const revision = await store.commit([{ op: 'put', resource: route('late', 'v1.example'), ifRevision: 0 }], validatedAt);
  assert.ok(proxy.dropped > droppedBefore, 'the first request was lost');
  assert.equal((await direct.get('Route', 'late'))?.revision, revision);
  assert.equal(await direct.revision(), revision);
});
