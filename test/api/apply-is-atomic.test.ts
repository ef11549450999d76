// POST /v1/apply: every document in one store transaction. One invalid document refuses them all
// (400 with every error of every document) and stores nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/api-harness.js';

const cluster = (name: string) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port: 19081 }] });
const route = (name: string, to: string) => ({ kind: 'Route', name, hosts: ['atomic.local'], match: { pathPrefix: `/${name}/` }, forward: { cluster: to } });

describeEachStore('POST /v1/apply', (fixture) => {
  test('one invalid document among valid ones: 400 with its path, nothing stored, revision unchanged', async () => {
    const { api } = fixture();
    const before = await api.get('/v1/clusters');
    const res = await api.apply([
      cluster('atomic-a'),
      route('atomic-r1', 'atomic-a'),
      { kind: 'Route', name: 'atomic-r2', hosts: ['atomic.local'], match: { pathPrefix: '/r2/' }, forward: { weighted: [{ cluster: 'atomic-a', weight: 50 }, { cluster: 'paymnts', weight: 50 }] } },
    ]);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'SLUICE_VALIDATION');
    assert.deepEqual(res.body.errors, [{ path: 'routes[atomic-r2].forward.weighted[1].cluster', message: 'unknown cluster "paymnts"' }]);
    assert.equal((await api.get('/v1/clusters/atomic-a')).status, 404);
    assert.equal((await api.get('/v1/routes/atomic-r1')).status, 404);
    const after = await api.get('/v1/clusters');
    assert.equal(after.headers.get('sluice-revision'), before.headers.get('sluice-revision'));
  });

  test('every error of every document is reported, in document order', async () => {
    const { api } = fixture();
    const res = await api.apply([
      { kind: 'Cluster', name: 'atomic-b', endpoints: [{ address: '127.0.0.1', port: 0 }], bogus: true },
      route('atomic-r3', 'atomic-b'),
      route('atomic-r4', 'missing'),
      { kind: 'Gadget', name: 'x' },
      { name: 'no-kind' },
    ]);
    assert.equal(res.status, 400);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    assert.deepEqual(paths, [
      'clusters[atomic-b].bogus',
      'routes[atomic-r4].forward.cluster',
      'documents[3].kind',
      'documents[4].kind',
    ], JSON.stringify(res.body.errors));
  });

  test('valid documents are stored together, and the answer lists each resource with kind and revision', async () => {
    const { api } = fixture();
    const res = await api.apply([cluster('atomic-c'), route('atomic-r5', 'atomic-c'), route('atomic-r6', 'atomic-c')]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.resources.length, 3);
    for (const r of res.body.resources) assert.equal(r.revision, res.body.revision, 'one transaction: one revision');
    assert.deepEqual(res.body.resources.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`), ['Cluster/atomic-c', 'Route/atomic-r5', 'Route/atomic-r6']);
    assert.deepEqual(res.body.changes.map((c: { action: string }) => c.action), ['created', 'created', 'created']);
    assert.equal(Number(res.headers.get('sluice-revision')), res.body.revision);
    assert.equal((await api.get('/v1/routes/atomic-r6')).body.revision, res.body.revision);
  });

  test('applying the same documents again changes nothing; changed ones are updated', async () => {
    const { api } = fixture();
    const first = await api.apply([cluster('atomic-d'), route('atomic-r7', 'atomic-d')]);
    const again = await api.apply([cluster('atomic-d'), { ...route('atomic-r7', 'atomic-d'), timeoutMs: 1500 }]);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.changes.map((c: { action: string }) => c.action), ['unchanged', 'updated']);
    assert.equal(again.body.resources[0].revision, first.body.revision);
    assert.ok(again.body.resources[1].revision > first.body.revision);
  });

  test('multi-document YAML with Content-Type application/yaml', async () => {
    const { api } = fixture();
    const yaml = [
      'kind: Cluster', 'name: atomic-e', 'endpoints:', '  - address: 127.0.0.1', '    port: 19081', '---',
      'kind: Route', 'name: atomic-r8', 'hosts: ["atomic.local"]', 'match:', '  pathPrefix: /r8/', 'forward:', '  cluster: atomic-e', '',
    ].join('\n');
    const res = await api.apply(yaml);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.resources.map((r: { name: string }) => r.name), ['atomic-e', 'atomic-r8']);
  });

  test('YAML with an unresolved alias answers 400 naming the document, not 500', async () => {
    const { api } = fixture();
    const res = await api.apply(['kind: Cluster', 'name: atomic-g', '---', 'kind: Cluster', 'name: *nope', ''].join('\n'));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.ok(res.body.errors.some((e: { path: string; message: string }) => e.path === 'documents[1]' && /not valid YAML/.test(e.message)), JSON.stringify(res.body));
    assert.equal((await api.get('/v1/clusters/atomic-g')).status, 404);
  });

  test('the same resource twice in one request answers 400', async () => {
    const { api } = fixture();
    const res = await api.apply([cluster('atomic-f'), cluster('atomic-f')]);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['clusters[atomic-f]']);
    assert.match(res.body.errors[0].message, /documents\[0\] and documents\[1\]/);
  });

  test('an empty or unparseable body answers 400 SLUICE_BAD_REQUEST', async () => {
    const { api } = fixture();
    assert.equal((await api.request('POST', '/v1/apply', { body: { resources: [] } })).body.code, 'SLUICE_BAD_REQUEST');
    const badYaml = await api.apply('kind: Cluster\n  name: [oops\n');
    assert.equal(badYaml.status, 400);
    assert.equal(badYaml.body.code, 'SLUICE_BAD_REQUEST');
    assert.match(badYaml.body.errors[0].path, /^documents\[0\]/);
  });

  test('more changes than one transaction takes (--store-max-txn-ops 128 here): 413 naming the limit, nothing stored', async () => {
    const { api } = fixture();
    await api.apply([cluster('atomic-big')]);
    const docs = Array.from({ length: 130 }, (_, i) => route(`atomic-big-${i}`, 'atomic-big'));
    const res = await api.apply(docs);
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'SLUICE_PAYLOAD_TOO_LARGE');
    assert.match(res.body.message, /^130 resources do not fit in one transaction: 132 operations .* limit of 128 \(--store-max-txn-ops, which must match etcd's --max-txn-ops\); raise both/);
    assert.equal((await api.get('/v1/routes/atomic-big-0')).status, 404);
    // 126 resources, the change's history record and the generation key: etcd's 128 ops.
    const fits = await api.apply(docs.slice(0, 126));
    assert.equal(fits.status, 200, JSON.stringify(fits.body).slice(0, 300));
  });
}, { storeLimits: { maxTxnOps: 128 } });
