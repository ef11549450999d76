// examples/ through the API: every document of invalid.yaml and security-invalid.yaml is refused on
// its own with its field path and stores nothing; mesh.yaml then protocols.yaml, and security.yaml
// after mesh.yaml, apply unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { describeEachStore } from '../support/api-harness.js';
import { readExample } from '../support/examples.js';

/** Each YAML document's own text, sent as it is. */
function documentTexts(name: 'invalid.yaml' | 'security-invalid.yaml'): string[] {
  return parseAllDocuments(readExample(name)).map((d) => d.toString());
}

const INVALID: Array<[string, RegExp]> = [
  ['routes[Bad_Name!].name', /not a valid name/],
  ['routes[unknown-cluster].forward.cluster', /unknown cluster "does-not-exist"/],
  ['routes[bad-regex].match.pathRegex', /invalid regular expression/],
  ['clusters[bad-port].endpoints[0].port', /between 1 and 65535, got 70000/],
  ['routes[two-actions]', /only one of forward, redirect, respond/],
];

const SECURITY_INVALID: Array<[string, RegExp]> = [
  ['peerauthentications[bad-mode].mode', /got "LOOSE"/],
  ['authorizationpolicies[bad-action].action', /must be one of ALLOW, DENY, got "MAYBE"/],
  ['authorizationpolicies[bad-principal].rules[0].from[0].principals[0]', /"frontend" is not a SPIFFE ID/],
  ['authorizationpolicies[bad-method].rules[0].to[0].methods[0]', /"FETCH" is not an HTTP method/],
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

  test('security.yaml applies after mesh.yaml, and reads back under its plural URLs', async () => {
    const { api } = fixture();
    assert.equal((await api.apply(readExample('mesh.yaml'))).status, 200);
    const security = await api.apply(readExample('security.yaml'));
    assert.equal(security.status, 200, JSON.stringify(security.body));
    assert.deepEqual(security.body.resources.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`), [
      'PeerAuthentication/mesh-default', 'PeerAuthentication/web-strict',
      'AuthorizationPolicy/web-allow-frontend', 'AuthorizationPolicy/deny-admin-paths', 'AuthorizationPolicy/web-audit-writes',
    ]);
    const peer = await api.get('/v1/peerauthentications');
    assert.deepEqual(peer.body.resources.map((r: { name: string; mode: string }) => `${r.name}:${r.mode}`), ['mesh-default:PERMISSIVE', 'web-strict:STRICT']);
    const policy = await api.get('/v1/authorizationpolicies/web-audit-writes');
    assert.equal(policy.status, 200);
    assert.equal(policy.body.action, 'DENY');
    assert.equal(policy.body.dryRun, true);
    assert.deepEqual(policy.body.rules[0].to[0].methods, ['POST', 'PUT', 'PATCH', 'DELETE']);
  });

  test('every document of security-invalid.yaml is refused on its own, with its field path, storing nothing', async () => {
    const { api } = fixture();
    const texts = documentTexts('security-invalid.yaml');
    assert.equal(texts.length, SECURITY_INVALID.length);
    for (const [i, text] of texts.entries()) {
      const [path, message] = SECURITY_INVALID[i]!;
      const res = await api.apply(text);
      assert.equal(res.status, 400, `document ${i}`);
      assert.equal(res.body.code, 'SLUICE_VALIDATION');
      assert.ok(res.body.errors.some((e: { path: string; message: string }) => e.path === path && message.test(e.message)),
        `document ${i}: expected ${path} ${message}, got ${JSON.stringify(res.body.errors)}`);
    }
    assert.equal((await api.get('/v1/peerauthentications/bad-mode')).status, 404);
    for (const name of ['bad-action', 'bad-principal', 'bad-method']) assert.equal((await api.get(`/v1/authorizationpolicies/${name}`)).status, 404, name);
  });
});
