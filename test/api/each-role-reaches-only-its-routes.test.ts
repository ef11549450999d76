// Admin API tokens carry a role: viewer reads, editor also changes resources, admin also manages access.
// A valid token without the role a route needs answers 403 SLUICE_FORBIDDEN naming that role; a bad or
// missing token stays 401, and the single --token-file token keeps every right.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRoute } from '../../control-plane/src/api/api-route.js';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { ADMIN, EDITOR, ROLE_TOKENS, VIEWER } from '../support/role-tokens.js';

const extraRoutes: ApiRoute[] = [
  // A module's route that does not say which role it needs is for admins only.
  { method: 'GET', path: '/v1/undeclared', handler: () => ({ status: 200, body: { ok: true } }) },
  { method: 'GET', path: '/v1/for-viewers', role: 'viewer', handler: (ctx) => ({ status: 200, body: { caller: ctx.caller } }) },
];

let api: TestApi;
before(async () => {
  api = await TestApi.start({ kind: 'embedded' }, { tokens: ROLE_TOKENS, extraRoutes });
});
after(async () => {
  await api.stop();
});

const cluster = (name: string) => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port: 8080 }] });

function assertForbidden(res: { status: number; body: any }, needs: string, what: string): void {
  assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.code, 'SLUICE_FORBIDDEN', what);
  assert.match(res.body.message, new RegExp(`needs the ${needs} role`), what);
}

test('viewer: reads every read route, and every change or access route answers 403 naming the role', async () => {
  const token = VIEWER.token;
  for (const path of ['/v1/clusters', '/v1/routes', '/v1/health', '/v1/for-viewers']) {
    assert.equal((await api.get(path, { token })).status, 200, path);
  }
  assert.deepEqual((await api.get('/v1/whoami', { token })).body, { name: 'vera-viewer', role: 'viewer' });
  assertForbidden(await api.apply([cluster('v1')], { token }), 'editor', 'apply');
  assertForbidden(await api.put('/v1/clusters/v1', cluster('v1'), { token }), 'editor', 'put');
  assertForbidden(await api.delete('/v1/clusters/v1', { token }), 'editor', 'delete');
  assertForbidden(await api.get('/v1/api-tokens', { token }), 'admin', 'token list');
  assertForbidden(await api.get('/v1/undeclared', { token }), 'admin', 'a route without a role');
  assert.equal((await api.get('/v1/clusters/v1')).status, 404, 'nothing the viewer sent was stored');
});

test('editor: applies, puts and deletes, but the access routes answer 403', async () => {
  const token = EDITOR.token;
  const applied = await api.apply([cluster('e1')], { token });
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
  assert.equal((await api.put('/v1/clusters/e2', cluster('e2'), { token })).status, 201);
  assert.equal((await api.delete('/v1/clusters/e2', { token })).status, 200);
  assert.equal((await api.get('/v1/clusters/e1', { token })).status, 200);
  assertForbidden(await api.get('/v1/api-tokens', { token }), 'admin', 'token list');
  assertForbidden(await api.get('/v1/undeclared', { token }), 'admin', 'a route without a role');
});

test('admin (named or the --token-file token): everything; the token list holds names and roles, never tokens', async () => {
  for (const token of [ADMIN.token, TEST_TOKEN]) {
    assert.equal((await api.put('/v1/clusters/a1', cluster('a1'), { token })).status < 300, true);
    assert.equal((await api.get('/v1/undeclared', { token })).status, 200);
    const list = await api.get('/v1/api-tokens', { token });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.tokens, [
      { name: 'admin', role: 'admin' },
      { name: 'vera-viewer', role: 'viewer' },
      { name: 'ci-bot', role: 'editor' },
      { name: 'ada-admin', role: 'admin' },
    ]);
    for (const t of [...ROLE_TOKENS.map((e) => e.token), TEST_TOKEN]) assert.ok(!JSON.stringify(list.body).includes(t));
  }
  assert.deepEqual((await api.get('/v1/whoami')).body, { name: 'admin', role: 'admin' });
  assert.deepEqual((await api.get('/v1/for-viewers', { token: EDITOR.token })).body, { caller: { name: 'ci-bot', role: 'editor' } });
});

test('a wrong or missing token is 401 on every route, whatever role it needs; probes need none', async () => {
  for (const [method, path] of [['GET', '/v1/routes'], ['POST', '/v1/apply'], ['GET', '/v1/api-tokens'], ['GET', '/v1/undeclared']] as const) {
    for (const token of [null, 'viewer-token', `${VIEWER.token}x`]) {
      const res = await api.request(method, path, { token });
      assert.equal(res.status, 401, `${method} ${path} with ${String(token)}`);
      assert.equal(res.body.code, 'SLUICE_UNAUTHENTICATED');
    }
  }
  assert.equal((await api.get('/healthz', { token: null })).status, 200);
  assert.equal((await api.get('/readyz', { token: VIEWER.token })).status, 200);
});
