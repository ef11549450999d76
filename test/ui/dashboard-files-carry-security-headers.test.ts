// The dashboard's pages and files: every /ui answer carries the Content-Security-Policy, nosniff and
// no-referrer; every page path serves index.html (the app routes in the browser); a file is served
// with its type; no path, however encoded, reads outside the bundle; a missing bundle answers 503
// saying how to build it. The bundle is a temporary directory, so the front end need not be built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestApi } from '../support/api-harness.js';
import { httpAnswer } from '../support/http-answer.js';
import { REPO_ROOT } from '../support/repo-root.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { DEFAULT_BUNDLE_DIR } from '../../control-plane/src/ui/ui-bundle.js';
import { UI_CONTENT_SECURITY_POLICY } from '../../control-plane/src/ui/security-headers.js';
import { APP_CSS, APP_JS, INDEX_HTML, makeBundleDir } from './support/bundle-dir.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function assertSecurityHeaders(headers: Headers, what: string): void {
  assert.equal(headers.get('content-security-policy'), CSP, what);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', what);
}

test('the policy is the one the dashboard is written for', () => {
  assert.equal(UI_CONTENT_SECURITY_POLICY, CSP);
});

test('the bundle is looked for in dist/ui/ of the compiled tree, whatever the working directory', () => {
  assert.equal(DEFAULT_BUNDLE_DIR.replace(/\/$/, ''), join(REPO_ROOT, 'dist', 'ui'));
});

test('pages, files, refusals and traversal attempts', async (t) => {
  const cleanup = cleanupStack(t);
  const bundle = makeBundleDir();
  cleanup(() => bundle.remove());
  const api = await TestApi.start({ kind: 'embedded' }, { ui: { bundleDir: bundle.dir } });
  cleanup(() => api.stop());
  const get = (path: string) => fetch(`${api.url}${path}`, { signal: AbortSignal.timeout(10_000) });

  await t.test('every page path answers index.html with the security headers and no token', async () => {
    for (const path of ['/ui', '/ui/', '/ui/proxies', '/ui/proxies/node-1', '/ui/rollouts/12']) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8', path);
      assertSecurityHeaders(res.headers, path);
      assert.equal(await res.text(), INDEX_HTML, path);
    }
  });

  await t.test('files are served from the bundle with their type and the same headers', async () => {
    const js = await get('/ui/assets/app.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assertSecurityHeaders(js.headers, 'app.js');
    assert.equal(await js.text(), APP_JS);
    const css = await get('/ui/assets/app.css');
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(await css.text(), APP_CSS);
  });

  await t.test('a missing file is a 404 with the headers; a dotted page path is a file, not a page', async () => {
    for (const path of ['/ui/assets/missing.js', '/ui/favicon.ico', '/ui/proxies/app.js']) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assertSecurityHeaders(res.headers, path);
      assert.equal(((await res.json()) as { code: string }).code, 'SLUICE_NOT_FOUND', path);
    }
  });

  await t.test('no path reaches outside the bundle, however it is spelled', async () => {
    // Raw request lines (fetch would normalize them): dot segments, encoded dots and slashes.
    const port = api.controlPlane.apiListenAddress.port;
    for (const path of [
      '/ui/assets/../../package.json',
      '/ui/assets/..%2f..%2fpackage.json',
      '/ui/assets/%2e%2e/%2e%2e/package.json',
      '/ui/assets/%2e%2e%2fsecret.txt',
      '/ui/assets/..%2fsecret.txt',
      '/ui/assets/..%5csecret.txt',
      '/ui/assets/.%2e/secret.txt',
      '/ui/assets//etc/passwd',
      '/ui/assets/%2fetc%2fpasswd',
      '/ui/..%2f..%2fpackage.json',
      '/ui/assets/.hidden',
    ]) {
      const answer = await httpAnswer(port, path);
      assert.ok(answer !== undefined, path);
      assert.notEqual(answer.status, 200, `${path} answered ${answer.body.slice(0, 80)}`);
      assert.doesNotMatch(answer.body, /not for the browser|"name": "sluice"|root:/, path);
    }
  });

  await t.test('API answers are unchanged: no dashboard headers on /v1', async () => {
    const res = await api.get('/v1/clusters');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), null);
  });
});

test('a missing bundle answers 503 saying to run npm run build', async (t) => {
  const cleanup = cleanupStack(t);
  const bundle = makeBundleDir(false);
  cleanup(() => bundle.remove());
  const api = await TestApi.start({ kind: 'embedded' }, { ui: { bundleDir: bundle.dir } });
  cleanup(() => api.stop());
  for (const path of ['/ui', '/ui/proxies', '/ui/assets/app.js']) {
    const res = await fetch(`${api.url}${path}`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 503, path);
    assertSecurityHeaders(res.headers, path);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'SLUICE_UI_NOT_BUILT', path);
    assert.match(body.message, /npm run build/, path);
  }
});
