// CRUD through the admin API on both stores: create, read, list, update, delete, and the answers'
// envelope (kind, revision, Sluice-Revision header).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/api-harness.js';

const cluster = (name: string, port = 19081) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });
const route = (name: string, clusterName: string) => ({ kind: 'Route', name, hosts: ['crud.local'], match: { pathPrefix: `/${name}/` }, forward: { cluster: clusterName } });

describeEachStore('resource CRUD', (fixture) => {
  test('PUT creates (201), GET returns it with kind and revision, the header carries the store revision', async () => {
    const { api } = fixture();
    const created = await api.put('/v1/clusters/crud-a', cluster('crud-a'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.kind, 'Cluster');
    assert.equal(created.body.name, 'crud-a');
    assert.ok(created.body.revision > 0);
    assert.equal(Number(created.headers.get('sluice-revision')), created.body.revision, 'read-your-writes: the answer reflects the write');

    const read = await api.get('/v1/clusters/crud-a');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
    assert.ok(Number(read.headers.get('sluice-revision')) >= created.body.revision);
  });

  test('PUT without kind and name in the body takes them from the URL', async () => {
    const { api } = fixture();
    const { kind: _kind, name: _name, ...fields } = cluster('crud-b');
    const created = await api.put('/v1/clusters/crud-b', fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, 'crud-b');
  });

  test('the kind in the URL may be plural, singular or any case', async () => {
    const { api } = fixture();
    await api.put('/v1/clusters/crud-c', cluster('crud-c'));
    for (const spelling of ['clusters', 'cluster', 'Cluster', 'CLUSTERS']) {
      const res = await api.get(`/v1/${spelling}/crud-c`);
      assert.equal(res.status, 200, spelling);
      assert.equal(res.body.kind, 'Cluster');
    }
  });

  test('PUT updates (200) with a new revision; an identical PUT changes nothing', async () => {
    const { api } = fixture();
    const first = await api.put('/v1/clusters/crud-d', cluster('crud-d', 19081));
    const second = await api.put('/v1/clusters/crud-d', cluster('crud-d', 19082));
    assert.equal(second.status, 200);
    assert.ok(second.body.revision > first.body.revision);
    assert.equal(second.body.endpoints[0].port, 19082);
    const again = await api.put('/v1/clusters/crud-d', cluster('crud-d', 19082));
    assert.equal(again.status, 200);
    assert.equal(again.body.revision, second.body.revision, 'an unchanged resource keeps its revision');
  });

  test('GET /v1/<kind> lists the kind sorted by name, with the list revision', async () => {
    const { api } = fixture();
    await api.put('/v1/clusters/crud-list', cluster('crud-list'));
    for (const name of ['crud-z', 'crud-m', 'crud-a2']) await api.put(`/v1/routes/${name}`, route(name, 'crud-list'));
    const res = await api.get('/v1/routes');
    assert.equal(res.status, 200);
    assert.equal(res.body.kind, 'Route');
    const names = res.body.resources.map((r: { name: string }) => r.name);
    assert.deepEqual(names, [...names].sort());
    for (const name of ['crud-z', 'crud-m', 'crud-a2']) assert.ok(names.includes(name), name);
    for (const r of res.body.resources) {
      assert.equal(r.kind, 'Route');
      assert.equal(typeof r.revision, 'number');
    }
    assert.equal(res.body.revision, Number(res.headers.get('sluice-revision')));
  });

  test('DELETE removes the resource; then GET and DELETE answer 404', async () => {
    const { api } = fixture();
    await api.put('/v1/clusters/crud-e', cluster('crud-e'));
    const deleted = await api.delete('/v1/clusters/crud-e');
    assert.equal(deleted.status, 200);
    assert.deepEqual({ kind: deleted.body.kind, name: deleted.body.name, deleted: deleted.body.deleted }, { kind: 'Cluster', name: 'crud-e', deleted: true });
    assert.equal(Number(deleted.headers.get('sluice-revision')), deleted.body.revision);
    const read = await api.get('/v1/clusters/crud-e');
    assert.equal(read.status, 404);
    assert.equal(read.body.code, 'SLUICE_NOT_FOUND');
    assert.match(read.body.message, /clusters\[crud-e\]/);
    assert.equal((await api.delete('/v1/clusters/crud-e')).status, 404);
  });

  test('unknown kinds and paths answer 404, wrong methods 405, all with an error body and the revision', async () => {
    const { api } = fixture();
    const unknownKind = await api.get('/v1/widgets');
    assert.equal(unknownKind.status, 404);
    assert.equal(unknownKind.body.code, 'SLUICE_NOT_FOUND');
    assert.match(unknownKind.body.message, /unknown kind "widgets"/);
    const unknownPath = await api.get('/v2/routes');
    assert.equal(unknownPath.status, 404);
    const wrongMethod = await api.request('POST', '/v1/routes/x', { body: {} });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.body.code, 'SLUICE_METHOD_NOT_ALLOWED');
    for (const res of [unknownKind, unknownPath, wrongMethod]) assert.match(res.headers.get('sluice-revision') ?? '', /^\d+$/);
  });

  test('a PUT whose body names another resource or kind answers 400 with the field path', async () => {
    const { api } = fixture();
    const otherName = await api.put('/v1/clusters/crud-f', cluster('crud-g'));
    assert.equal(otherName.status, 400);
    assert.equal(otherName.body.code, 'SLUICE_VALIDATION');
    assert.deepEqual(otherName.body.errors.map((e: { path: string }) => e.path), ['clusters[crud-f].name']);
    const otherKind = await api.put('/v1/clusters/crud-f', { ...route('crud-f', 'x'), kind: 'Route' });
    assert.equal(otherKind.status, 400);
    assert.match(otherKind.body.errors[0].message, /must be Cluster/);
    assert.equal((await api.get('/v1/clusters/crud-f')).status, 404);
  });

  test('a PUT body may be YAML', async () => {
    const { api } = fixture();
    const res = await api.put('/v1/clusters/crud-yaml', 'kind: Cluster\nname: crud-yaml\nendpoints:\n  - address: 127.0.0.1\n    port: 19085\n', { contentType: 'application/yaml' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.endpoints[0].port, 19085);
  });

  test('a body that is not JSON answers 400 SLUICE_BAD_REQUEST', async () => {
    const { api } = fixture();
    const res = await api.put('/v1/clusters/crud-h', '{"kind": "Cluster",');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'SLUICE_BAD_REQUEST');
    assert.match(res.body.errors[0].message, /not valid JSON/);
  });
});
