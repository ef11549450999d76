// The admin API router's `*name` segment: it takes the rest of the path (zero or more segments, each
// URL-decoded), loses to any pattern with as many literal segments, and clashes only with its own shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRoute } from '../../control-plane/src/api/api-route.js';
import { Router } from '../../control-plane/src/api/router.js';
import { ControlPlaneError } from '../../control-plane/src/errors.js';

const route = (method: ApiRoute['method'], path: string): ApiRoute => ({ method, path, role: 'public', handler: () => ({ status: 200, body: path }) });

test('a rest segment takes zero or more segments; fixed patterns of equal literals win', () => {
  const router = new Router([route('GET', '/ui/*page'), route('GET', '/ui/session'), route('GET', '/ui/assets/*file'), route('POST', '/ui/session')]);
  const matched = (path: string) => {
    const m = router.match('GET', path);
    return [m.route.path, m.params];
  };
  assert.deepEqual(matched('/ui'), ['/ui/*page', { page: '' }]);
  assert.deepEqual(matched('/ui/'), ['/ui/*page', { page: '' }]);
  assert.deepEqual(matched('/ui/proxies/node%201'), ['/ui/*page', { page: 'proxies/node 1' }]);
  assert.deepEqual(matched('/ui/session'), ['/ui/session', {}]);
  assert.deepEqual(matched('/ui/assets/app.js'), ['/ui/assets/*file', { file: 'app.js' }]);
  // Decoded per segment: an encoded slash or dot-dot reaches the handler as such, for it to refuse.
  assert.deepEqual(matched('/ui/assets/..%2fx'), ['/ui/assets/*file', { file: '../x' }]);
  assert.throws(() => router.match('GET', '/v1/x'), (e: unknown) => e instanceof ControlPlaneError && e.code === 'SLUICE_NOT_FOUND');
  assert.throws(() => router.match('PUT', '/ui/session'), (e: unknown) => e instanceof ControlPlaneError && e.code === 'SLUICE_METHOD_NOT_ALLOWED');
  assert.throws(() => router.match('GET', '/ui/%E0%A4%A'), (e: unknown) => e instanceof ControlPlaneError && e.code === 'SLUICE_NOT_FOUND');
});

test('a rest pattern clashes with the same shape only', () => {
  const router = new Router([route('GET', '/ui/*page')]);
  assert.throws(() => router.add(route('GET', '/ui/*other')), /clashes/);
  router.add(route('GET', '/ui/:one'));
  assert.equal(router.match('GET', '/ui/x').route.path, '/ui/:one');
});
