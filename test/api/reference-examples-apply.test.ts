// examples/ through the API: every document of invalid.yaml is refused on its own with its
// field path and stores nothing; mesh.yaml then protocols.yaml apply unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { describeEachStore } from '../support/api-harness.js';
import { readExample } from '../support/examples.js';

/** Each YAML document's own text, sent as it is. */
function documentTexts(name: 'invalid.yaml'): string[] {
  return parseAllDocuments(readExample(name)).map((d) => d.toString());
}

const INVALID: Array<[string, RegExp]> = [
  ['routes[Bad_Name!].name', /not a valid name/],
  ['routes[unknown-cluster].forward.cluster', /unknown cluster "does-not-exist"/],
  ['routes[bad-regex].match.pathRegex', /invalid regular expression/],
  ['clusters[bad-port].endpoints[0].port', /between 1 and 65535, got 70000/],
  ['routes[two-actions]', /only one of forward, redirect, respond/],
];

describeEachStore('reference examples', (fixture) => {
  test('mesh.yaml then protocols.yaml apply unchanged', async () => {
    const { api } = fixture();
    const mesh = await api.apply(readExample('mesh.yaml'));
    assert.equal(mesh.status, 200, JSON.stringify(mesh.body));
    assert.deepEqual(mesh.body.resources.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`), [
      'Cluster/web', 'Cluster/web-canary', 'Route/web', 'Route/old-docs', 'Route/ping', 'Listener/public',
    ]);
    const protocols = await api.apply(readExample('protocols.yaml'));
    assert.equal(protocols.status, 200, JSON.stringify(protocols.body));
    assert.equal(protocols.body.resources.length, 6);
    const routes = await api.get('/v1/routes');
    assert.deepEqual(routes.body.resources.map((r: { name: string }) => r.name), ['api', 'greeter', 'old-docs', 'ping', 'web']);
  });

  test('every document of invalid.yaml is refused on its own, with its field path, storing nothing', async () => {
    const { api } = fixture();
    const texts = documentTexts('invalid.yaml');
    assert.equal(texts.length, INVALID.length);
    const revision = (await api.get('/v1/routes')).headers.get('sluice-revision');
    for (const [i, text] of texts.entries()) {
      const [path, message] = INVALID[i]!;
      const res = await api.apply(text);
      assert.equal(res.status, 400, `document ${i}`);
      assert.equal(res.body.code, 'SLUICE_VALIDATION');
      assert.ok(res.body.errors.some((e: { path: string; message: string }) => e.path === path && message.test(e.message)),
        `document ${i}: expected ${path} ${message}, got ${JSON.stringify(res.body.errors)}`);
    }
    const after = await api.get('/v1/routes');
    assert.equal(after.headers.get('sluice-revision'), revision, 'nothing was written');
    assert.equal((await api.get('/v1/clusters/bad-port')).status, 404);
  });

  test('invalid.yaml as one request: one 400 naming all five problems', async () => {
    const { api } = fixture();
    const res = await api.apply(readExample('invalid.yaml'));
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), INVALID.map(([p]) => p));
  });
});
