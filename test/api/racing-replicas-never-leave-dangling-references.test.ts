// Two control-plane replicas on one etcd race a delete of a cluster against a route that points at
// it. Each replica validates against its own cache, so only the store's generation compare (and the
// retry that validates again) keeps both from landing: exactly one may win, and the store must never
// hold a route whose cluster is gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { TestApi } from '../support/api-harness.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
let a: TestApi;
let b: TestApi;

before(async () => {
  etcd = await EtcdCluster.start();
  a = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
  b = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await etcd?.stop();
});

/** Waits until `api`'s answers carry at least `revision` (its cache has caught up). */
async function seen(api: TestApi, revision: number): Promise<void> {
  await until(`the replica at revision ${revision}`, async () => Number((await api.get('/v1/clusters')).headers.get('sluice-revision')) >= revision, 5_000, 10);
}

test('a delete and a referencing write from two replicas: one wins, never both', async () => {
  const outcomes = { deleteWon: 0, routeWon: 0 };
  for (let i = 0; i < 15; i++) {
    const clusterName = `race-${i}`;
    const created = await a.put(`/v1/clusters/${clusterName}`, { kind: 'Cluster', name: clusterName, endpoints: [{ address: '127.0.0.1', port: 19081 }] });
    assert.equal(created.status, 201);
    // Both replicas have seen the cluster, so both validations pass on their own caches.
    await seen(b, Number(created.headers.get('sluice-revision')));

    const [del, put] = await Promise.all([
      a.delete(`/v1/clusters/${clusterName}`),
      b.put(`/v1/routes/${clusterName}`, { kind: 'Route', name: clusterName, hosts: ['race.local'], match: { pathPrefix: `/${i}/` }, forward: { cluster: clusterName } }),
    ]);
    const deleted = del.status === 200;
    const routed = put.status === 201;
    assert.ok(deleted !== routed, `exactly one wins (delete ${del.status} ${JSON.stringify(del.body)}, put ${put.status} ${JSON.stringify(put.body)})`);
    if (deleted) {
      assert.equal(put.status, 400);
      assert.equal(put.body.code, 'SLUICE_VALIDATION');
      outcomes.deleteWon++;
    } else {
      assert.equal(del.status, 409);
      assert.equal(del.body.code, 'SLUICE_REFERENCED');
      outcomes.routeWon++;
    }
    // What etcd holds, read through a third view: the other replica after it caught up.
    await seen(a, Math.max(Number(del.headers.get('sluice-revision')), Number(put.headers.get('sluice-revision'))));
    const routeThere = (await a.get(`/v1/routes/${clusterName}`)).status === 200;
    const clusterThere = (await a.get(`/v1/clusters/${clusterName}`)).status === 200;
    assert.ok(!routeThere || clusterThere, 'no route points at a deleted cluster');
  }
  assert.equal(outcomes.deleteWon + outcomes.routeWon, 15);
});
