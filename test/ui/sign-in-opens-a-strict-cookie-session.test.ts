// Signing in to the dashboard: a token in a JSON body (never a URL) opens a session whose cookie is
// HttpOnly and SameSite=Strict; the cookie then reads every /v1 route its role allows, while a change
// signed in by it must come from the API's own origin with a JSON or YAML body (a cross-site form
// cannot); bearer requests are unchanged; a viewer's cookie cannot apply; signing out ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { EDITOR, ROLE_TOKENS, VIEWER } from '../support/role-tokens.js';
import { makeBundleDir } from './support/bundle-dir.js';

const CLUSTER = { kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 18080 }] };

test('sign-in, cookie auth and cross-site refusals', async (t) => {
  const cleanup = cleanupStack(t);
  const bundle = makeBundleDir();
  cleanup(() => bundle.remove());
  const api = await TestApi.start({ kind: 'embedded' }, { tokens: ROLE_TOKENS, ui: { bundleDir: bundle.dir } });
  cleanup(() => api.stop());
  const origin = api.url;
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    fetch(`${api.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
  const signIn = (token: string, headers: Record<string, string> = { origin, 'content-type': 'application/json' }) =>
    call('POST', '/ui/session', headers, JSON.stringify({ token }));
  const cookieOf = (res: Response): string => /^(sluice_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;

  let editorCookie = '';
  await t.test('a good token opens a session: HttpOnly, SameSite=Strict, Path=/, no Secure over HTTP', async () => {
    const res = await signIn(EDITOR.token);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: EDITOR.name, role: 'editor' });
    const setCookie = res.headers.get('set-cookie')!;
    assert.match(setCookie, /^sluice_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    editorCookie = cookieOf(res);
  });

  await t.test('a bad token is a 401 with the API\'s JSON error and no cookie', async () => {
    const res = await signIn('not-a-token');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'SLUICE_UNAUTHENTICATED');
    assert.equal(res.headers.get('set-cookie'), null);
    const empty = await call('POST', '/ui/session', { 'content-type': 'application/json' }, '{}');
    assert.equal(empty.status, 400);
    assert.equal(((await empty.json()) as { errors: Array<{ path: string }> }).errors[0]!.path, 'token');
  });

  await t.test('a sign-in from another origin or as a form is refused', async () => {
    const foreign = await signIn(EDITOR.token, { origin: 'http://evil.example', 'content-type': 'application/json' });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { code: string }).code, 'SLUICE_CROSS_SITE');
    const form = await call('POST', '/ui/session', { origin, 'content-type': 'application/x-www-form-urlencoded' }, `token=${EDITOR.token}`);
    assert.equal(form.status, 403);
    assert.equal(form.headers.get('set-cookie'), null);
  });

  await t.test('GET /ui/session says who the cookie signs in; without one, 401', async () => {
    const res = await call('GET', '/ui/session', { cookie: editorCookie });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: EDITOR.name, role: 'editor' });
    assert.equal((await call('GET', '/ui/session')).status, 401);
    assert.equal((await call('GET', '/ui/session', { cookie: `sluice_session=${'A'.repeat(43)}` })).status, 401);
  });

  await t.test('the cookie reads /v1 routes; a wrong or ended cookie is a 401', async () => {
    const res = await call('GET', '/v1/clusters', { cookie: `other=1; ${editorCookie}` });
    assert.equal(res.status, 200);
    const whoami = await call('GET', '/v1/whoami', { cookie: editorCookie });
    assert.equal(whoami.status, 200);
    assert.equal(((await whoami.json()) as { name: string }).name, EDITOR.name);
    const wrong = await call('GET', '/v1/clusters', { cookie: `sluice_session=${'B'.repeat(43)}` });
    assert.equal(wrong.status, 401);
    assert.equal((await call('GET', '/v1/clusters')).status, 401);
  });

  await t.test('a change by cookie needs the own Origin and a JSON or YAML body', async () => {
    const body = JSON.stringify({ resources: [CLUSTER] });
    const refused: Array<{ what: string; headers: Record<string, string> }> = [
      { what: 'no Origin', headers: { cookie: editorCookie, 'content-type': 'application/json' } },
      { what: 'a foreign Origin', headers: { cookie: editorCookie, origin: 'http://evil.example', 'content-type': 'application/json' } },
      { what: 'a look-alike Origin', headers: { cookie: editorCookie, origin: `${origin}.evil.example`, 'content-type': 'application/json' } },
      { what: 'a form body', headers: { cookie: editorCookie, origin, 'content-type': 'application/x-www-form-urlencoded' } },
      { what: 'a text/plain body', headers: { cookie: editorCookie, origin, 'content-type': 'text/plain' } },
      { what: 'a multipart body', headers: { cookie: editorCookie, origin, 'content-type': 'multipart/form-data; boundary=x' } },
    ];
    for (const r of refused) {
      const res = await call('POST', '/v1/apply', r.headers, body);
      assert.equal(res.status, 403, r.what);
      assert.equal(((await res.json()) as { code: string }).code, 'SLUICE_CROSS_SITE', r.what);
    }
    assert.equal((await api.get('/v1/clusters/web')).status, 404, 'nothing was applied');
    const applied = await call('POST', '/v1/apply', { cookie: editorCookie, origin, 'content-type': 'application/json' }, body);
    assert.equal(applied.status, 200);
    assert.equal((await api.get('/v1/clusters/web')).status, 200);
    const yaml = await call('POST', '/v1/apply?dryRun=true', { cookie: editorCookie, origin, 'content-type': 'application/yaml' }, 'kind: Cluster\nname: web2\nendpoints: [{address: 127.0.0.1, port: 18081}]\n');
    assert.equal(yaml.status, 200);
    const deleted = await call('DELETE', '/v1/clusters/web', { cookie: editorCookie, origin: 'http://evil.example', 'content-type': 'application/json' });
    assert.equal(deleted.status, 403);
  });

  await t.test('bearer requests are unchanged: no Origin or type needed, a cookie beside them is ignored', async () => {
    const res = await api.apply([{ ...CLUSTER, name: 'api' }]);
    assert.equal(res.status, 200);
    const withCookie = await call('POST', '/v1/apply', { authorization: `Bearer ${TEST_TOKEN}`, cookie: `sluice_session=${'C'.repeat(43)}`, 'content-type': 'application/json' }, JSON.stringify({ resources: [{ ...CLUSTER, name: 'api2' }] }));
    assert.equal(withCookie.status, 200);
    assert.equal((await api.get('/v1/clusters', { token: 'wrong' })).status, 401);
  });

  await t.test('a viewer\'s cookie reads but cannot apply (403, as with its token)', async () => {
    const viewer = cookieOf(await signIn(VIEWER.token));
    assert.equal((await call('GET', '/v1/clusters', { cookie: viewer })).status, 200);
    const res = await call('POST', '/v1/apply', { cookie: viewer, origin, 'content-type': 'application/json' }, JSON.stringify({ resources: [{ ...CLUSTER, name: 'viewer' }] }));
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'SLUICE_FORBIDDEN');
  });

  await t.test('DELETE /ui/session signs out: 204, the cookie cleared, the session gone', async () => {
    const res = await call('DELETE', '/ui/session', { cookie: editorCookie, origin });
    assert.equal(res.status, 204);
    assert.match(res.headers.get('set-cookie') ?? '', /^sluice_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
    assert.equal((await call('GET', '/ui/session', { cookie: editorCookie })).status, 401);
    assert.equal((await call('GET', '/v1/clusters', { cookie: editorCookie })).status, 401);
  });
});
