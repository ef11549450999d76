// etcd down: reads keep answering 200 from the last watched state, writes answer 503 fast; once etcd
// is back, both recover by themselves (no restart of the control plane).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
let api: TestApi;
before(async () => {
  etcd = await EtcdCluster.start();
  api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints });
});
after(async () => {
  await api?.stop();
  await etcd?.stop();
});

const cluster = (name: string, port = 19081) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });

test('outage: reads 200 from the cache, writes 503 within seconds; after restart both work again', async (t) => {
  const applied = await api.apply([cluster('outage-a'), { kind: 'Route', name: 'outage-r', hosts: ['outage.local'], match: { pathPrefix: '/' }, forward: { cluster: 'outage-a' } }]);
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
  const revisionBefore = applied.headers.get('sluice-revision');

  await etcd.kill();

  // Writes: 503 SLUICE_STORE_UNAVAILABLE, answered fast (never hanging).
  const started = Date.now();
  const write = await api.put('/v1/clusters/outage-b', cluster('outage-b'));
  const writeMs = Date.now() - started;
  assert.equal(write.status, 503, JSON.stringify(write.body));
  assert.equal(write.body.code, 'SLUICE_STORE_UNAVAILABLE');
  assert.ok(writeMs < 4000, `the write answered in ${writeMs} ms`);
  t.diagnostic(`a write during the outage answered 503 in ${writeMs} ms`);
  assert.equal((await api.apply([cluster('outage-c')])).status, 503);
  assert.equal((await api.delete('/v1/routes/outage-r')).status, 503);

  // Reads: 200 from the last watched state, with its revision.
  const list = await api.get('/v1/routes');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.resources.map((r: { name: string }) => r.name), ['outage-r']);
  assert.equal(list.headers.get('sluice-revision'), revisionBefore);
  assert.equal((await api.get('/v1/clusters/outage-a')).status, 200);
  const ready = await api.get('/readyz', { token: null });
  assert.equal(ready.status, 200, 'still ready: reads are served');
  assert.equal(ready.body.store, 'unreachable');

  await etcd.restart();

  // Writes recover by themselves once the watch is back.
  const restartedAt = Date.now();
  const recovered = await until('a write to succeed after the restart', async () => {
    const res = await api.put('/v1/clusters/outage-b', cluster('outage-b'));
    return res.status === 201 ? res : undefined;
  }, 15_000, 200);
  assert.ok(Number(recovered.body.revision) > Number(revisionBefore));
  t.diagnostic(`writes worked again ${Date.now() - restartedAt} ms after etcd answered`);
  const after = await api.get('/v1/clusters/outage-b');
  assert.equal(after.status, 200, 'read-your-writes after the outage');
  assert.equal((await api.get('/readyz', { token: null })).body.store, 'reachable');
  assert.equal((await api.delete('/v1/routes/outage-r')).status, 200);
});

test('a control plane started while etcd is down answers 503 until etcd is up, then serves', async () => {
  const late = await EtcdCluster.start();
  await late.kill();
  const controlPlane = new ControlPlane({
    token: TEST_TOKEN,
    apiListen: { host: '127.0.0.1', port: 0 },
    etcdEndpoints: late.endpoints,
    log: createLogger({ level: 'silent' }),
  });
  const starting = controlPlane.start();
  try {
    // The admin API listens at once; until the first list it is not ready and refuses resource calls.
    // apiUrl throws until the API listens: until() takes that for "not yet".
    const url = await until('the admin API to listen', () => controlPlane.apiUrl, 15_000, 200);
    const get = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' } });
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/readyz')).status, 503);
    const list = await get('/v1/routes');
    assert.equal(list.status, 503);
    assert.equal(((await list.json()) as { code: string }).code, 'SLUICE_STORE_UNAVAILABLE');
    assert.equal((await get('/v1/clusters/late', { method: 'PUT', body: JSON.stringify(cluster('late')) })).status, 503);

    await late.restart();
    await starting;
    assert.equal((await get('/readyz')).status, 200);
    assert.equal((await get('/v1/clusters/late', { method: 'PUT', body: JSON.stringify(cluster('late')) })).status, 201);
  } finally {
    await starting.catch(() => undefined);
    await controlPlane.stop();
    await late.stop();
  }
});
