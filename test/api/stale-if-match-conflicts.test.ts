// Optimistic concurrency: If-Match: <revision> on PUT and DELETE answers 409 SLUICE_CONFLICT when
// stale and changes nothing; If-Match: 0 means "create only".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/api-harness.js';

const cluster = (name: string, port: number) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });

describeEachStore('If-Match', (fixture) => {
  test('PUT with the current revision updates; with a stale one answers 409 and keeps the resource', async () => {
    const { api } = fixture();
    const v1 = await api.put('/v1/clusters/im-a', cluster('im-a', 19081));
    const v2 = await api.put('/v1/clusters/im-a', cluster('im-a', 19082), { headers: { 'if-match': String(v1.body.revision) } });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    const stale = await api.put('/v1/clusters/im-a', cluster('im-a', 19083), { headers: { 'if-match': String(v1.body.revision) } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'SLUICE_CONFLICT');
    assert.match(stale.body.message, /clusters\[im-a\]/);
    const now = await api.get('/v1/clusters/im-a');
    assert.equal(now.body.endpoints[0].port, 19082);
    assert.equal(now.body.revision, v2.body.revision);
  });

  test('If-Match may be quoted like an ETag', async () => {
    const { api } = fixture();
    const v1 = await api.put('/v1/clusters/im-q', cluster('im-q', 19081));
    const v2 = await api.put('/v1/clusters/im-q', cluster('im-q', 19082), { headers: { 'if-match': `"${v1.body.revision}"` } });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
  });

  test('If-Match: 0 creates only: 201 when absent, 409 when the resource exists', async () => {
    const { api } = fixture();
    const created = await api.put('/v1/clusters/im-b', cluster('im-b', 19081), { headers: { 'if-match': '0' } });
    assert.equal(created.status, 201);
    const again = await api.put('/v1/clusters/im-b', cluster('im-b', 19099), { headers: { 'if-match': '0' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'SLUICE_CONFLICT');
    assert.equal((await api.get('/v1/clusters/im-b')).body.endpoints[0].port, 19081);
  });

  test('DELETE with a stale If-Match answers 409 and deletes nothing; with the current one it deletes', async () => {
    const { api } = fixture();
    const v1 = await api.put('/v1/clusters/im-c', cluster('im-c', 19081));
    const v2 = await api.put('/v1/clusters/im-c', cluster('im-c', 19082));
    const stale = await api.delete('/v1/clusters/im-c', { headers: { 'if-match': String(v1.body.revision) } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'SLUICE_CONFLICT');
    assert.equal((await api.get('/v1/clusters/im-c')).status, 200);
    const current = await api.delete('/v1/clusters/im-c', { headers: { 'if-match': String(v2.body.revision) } });
    assert.equal(current.status, 200);
    assert.equal((await api.get('/v1/clusters/im-c')).status, 404);
  });

  test('DELETE of a missing resource answers 404 whatever If-Match says, and commits nothing', async () => {
    const { api } = fixture();
    const before = (await api.get('/v1/clusters')).headers.get('sluice-revision');
    for (const ifMatch of ['0', '7']) {
      const res = await api.delete('/v1/clusters/im-missing', { headers: { 'if-match': ifMatch } });
      assert.equal(res.status, 404, `If-Match: ${ifMatch}`);
      assert.equal(res.body.code, 'SLUICE_NOT_FOUND');
    }
    assert.equal((await api.get('/v1/clusters')).headers.get('sluice-revision'), before, 'no revision was spent');
  });

  test('an If-Match that is not a revision answers 400 SLUICE_BAD_REQUEST', async () => {
    const { api } = fixture();
    const res = await api.put('/v1/clusters/im-d', cluster('im-d', 19081), { headers: { 'if-match': 'yesterday' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'SLUICE_BAD_REQUEST');
    assert.equal((await api.get('/v1/clusters/im-d')).status, 404);
  });
});
