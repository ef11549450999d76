// Every API route but the probes needs `Authorization: Bearer <token>`; without it: 401, and the
// caller learns nothing else (not even whether a path exists).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi } from '../support/api-harness.js';

let api: TestApi;
before(async () => {
  api = await TestApi.start();
});
after(async () => {
  await api.stop();
});

test('no Authorization header: 401 SLUICE_UNAUTHENTICATED on reads and writes', async () => {
  for (const [method, path] of [['GET', '/v1/routes'], ['GET', '/v1/routes/web'], ['PUT', '/v1/clusters/x'], ['DELETE', '/v1/clusters/x'], ['POST', '/v1/apply']] as const) {
    const res = await api.request(method, path, { token: null, ...(method === 'GET' || method === 'DELETE' ? {} : { body: { kind: 'Cluster', name: 'x' } }) });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(res.body.code, 'SLUICE_UNAUTHENTICATED');
    assert.match(res.headers.get('sluice-revision') ?? '', /^\d+$/);
  }
  assert.equal((await api.get('/v1/clusters/x')).status, 404, 'the refused PUT stored nothing');
});

test('a wrong token, another scheme or a token prefix: 401', async () => {
  for (const authorization of ['Bearer wrong', 'Basic dGVzdDp0ZXN0', 'Bearer test-token', 'Bearer ', 'test-token-0123456789']) {
    const res = await api.get('/v1/routes', { token: null, headers: { authorization } });
    assert.equal(res.status, 401, authorization);
  }
});

test('unknown paths answer 401, not 404, without the token', async () => {
  const res = await api.get('/v1/widgets/x', { token: null });
  assert.equal(res.status, 401);
});

test('the right token passes; the scheme is case-insensitive', async () => {
  assert.equal((await api.get('/v1/routes')).status, 200);
  assert.equal((await api.get('/v1/routes', { token: null, headers: { authorization: 'bearer test-token-0123456789' } })).status, 200);
});

test('/healthz and /readyz need no token', async () => {
  const health = await api.get('/healthz', { token: null });
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'ok' });
  const ready = await api.get('/readyz', { token: null });
  assert.equal(ready.status, 200);
  assert.equal(ready.body.ready, true);
  assert.equal(ready.body.store, 'reachable');
});
