// The change history lives in etcd: a control plane started again on the same etcd lists the same
// records and rolls back with them; a lower --history-limit prunes etcd down to it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { TestApi } from '../support/api-harness.js';
import { etcdctl } from '../support/etcdctl.js';
import { until } from '../support/until.js';

const cluster = (name: string, port = 8080) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });
const route = (name: string, clusterName: string) => ({ kind: 'Route', name, hosts: [`${name}.local`], match: { pathPrefix: '/' }, forward: { cluster: clusterName } });

let etcd: EtcdCluster | undefined;
let api: TestApi | undefined;
after(async () => {
  await api?.stop();
  await etcd?.stop();
});

async function listing(a: TestApi): Promise<unknown> {
  return [(await a.get('/v1/clusters')).body.resources, (await a.get('/v1/routes')).body.resources].map((list: Array<Record<string, unknown>>) => list.map(({ revision: _r, ...rest }) => rest));
}

const historyKeys = async (endpoints: readonly string[]): Promise<number> =>
  (await etcdctl(endpoints, 'get', '--prefix', '--keys-only', '/sluice/meta/history/')).split('\n').filter((l) => l.trim() !== '').length;

test('a restarted control plane lists the same history, rolls back with it, and prunes to a lower limit', async () => {
  etcd = await EtcdCluster.start();
  api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
  const a = await api.apply([cluster('shop'), route('shop', 'shop')]);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const meshA = await listing(api);
  assert.equal((await api.apply([cluster('shop', 9090), cluster('search'), route('search', 'search')])).status, 200);
  assert.equal((await api.delete('/v1/routes/shop')).status, 200);
  const before = await api.get('/v1/history');
  assert.equal(before.body.entries.length, 3);
  await api.stop();

  api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
  const again = await api.get('/v1/history');
  assert.deepEqual(again.body.entries, before.body.entries, 'the same records, before and after included');
  const rolled = await api.request('POST', '/v1/rollback', { body: { toRevision: a.body.revision } });
  assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
  assert.deepEqual(await listing(api), meshA);
  await api.stop();

  // --history-limit 2: the first commit after the start prunes the four records to two.
  api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints }, { historyLimit: 2 });
  assert.equal(await historyKeys(etcd.endpoints), 4);
  assert.equal((await api.get('/v1/history')).body.entries.length, 2, 'readers see only the retained records at once');
  assert.equal((await api.put('/v1/clusters/extra', cluster('extra'))).status, 201);
  await until('etcd holds only the last two records', async () => (await historyKeys(etcd!.endpoints)) === 2);
  const kept = await api.get('/v1/history');
  assert.deepEqual(kept.body.entries.map((e: { operation: string }) => e.operation), ['put', 'rollback']);
});
