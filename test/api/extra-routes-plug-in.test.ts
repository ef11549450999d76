// Other modules add admin API routes through `extraRoutes` (discovery's /v1/proxies, /v1/rollout):
// they are authenticated, matched before the generic `/v1/:kind`, and get the same error handling.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRoute } from '../../control-plane/src/api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../../control-plane/src/errors.js';
import { TestApi } from '../support/api-harness.js';

const extraRoutes: ApiRoute[] = [
  { method: 'GET', path: '/v1/proxies', handler: () => ({ status: 200, body: { proxies: ['p1'] } }) },
  { method: 'GET', path: '/v1/proxies/:id', handler: (ctx) => ({ status: 200, body: { id: ctx.params['id'], wait: ctx.url.searchParams.get('wait') } }) },
  {
    method: 'POST',
    path: '/v1/echo',
    handler: async (ctx) => ({ status: 202, body: { got: (await ctx.body()).toString() }, headers: { 'x-extra': 'yes' } }),
  },
  { method: 'GET', path: '/v1/rollout', handler: () => { throw new ControlPlaneError(ErrorCode.Conflict, 'rollout busy'); } },
  { method: 'GET', path: '/v1/broken', handler: () => { throw new Error('secret internal detail'); } },
  { method: 'GET', path: '/debug/open', role: 'public', handler: () => ({ status: 200, body: { open: true } }) },
];

let api: TestApi;
before(async () => {
  api = await TestApi.start({ kind: 'embedded' }, { extraRoutes });
});
after(async () => {
  await api.stop();
});

test('a literal route wins over /v1/:kind, and params are decoded', async () => {
  const list = await api.get('/v1/proxies');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, { proxies: ['p1'] });
  const one = await api.get('/v1/proxies/node%2F1?wait=1');
  assert.deepEqual(one.body, { id: 'node/1', wait: '1' });
  assert.match(one.headers.get('sluice-revision') ?? '', /^\d+$/);
});

test('extra routes read bodies, set status and headers', async () => {
  const res = await api.request('POST', '/v1/echo', { body: 'hello' });
  assert.equal(res.status, 202);
  assert.deepEqual(res.body, { got: 'hello' });
  assert.equal(res.headers.get('x-extra'), 'yes');
});

test('extra routes need the token unless they opt out', async () => {
  assert.equal((await api.get('/v1/proxies', { token: null })).status, 401);
  assert.equal((await api.get('/debug/open', { token: null })).status, 200);
});

test('a ControlPlaneError becomes its status and body; anything else a 500 that hides the detail', async () => {
  const conflict = await api.get('/v1/rollout');
  assert.equal(conflict.status, 409);
  assert.deepEqual(conflict.body, { code: 'SLUICE_CONFLICT', message: 'rollout busy', errors: [] });
  const broken = await api.get('/v1/broken');
  assert.equal(broken.status, 500);
  assert.equal(broken.body.code, 'SLUICE_INTERNAL');
  assert.ok(!JSON.stringify(broken.body).includes('secret internal detail'));
});

test('a wrong method on an extra route answers 405', async () => {
  const res = await api.request('DELETE', '/v1/proxies');
  assert.equal(res.status, 405);
  assert.match(res.body.message, /allowed: GET/);
});

test('registering the same method and pattern twice fails at start-up', async () => {
  await assert.rejects(TestApi.start({ kind: 'embedded' }, { extraRoutes: [extraRoutes[0]!, extraRoutes[0]!] }), /clashes/);
});
