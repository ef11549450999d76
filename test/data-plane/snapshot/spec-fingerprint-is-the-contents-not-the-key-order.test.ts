// Whether an update rebuilds a cluster's pools or rebinds a listener depends on the spec's
// fingerprint. The same Cluster or Listener written with its fields in another order (YAML and JSON
// keep the input's order in decoded messages) has the same fingerprint; any changed value, however
// deep, changes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { parseResource } from '../../../proto/src/model/validate-resource.js';
import { specFingerprint } from '../../../data-plane/src/snapshot/spec-fingerprint.js';

function spec(doc: Record<string, unknown>): unknown {
  const parsed = parseResource(doc, 'documents[0]');
  assert.ok(parsed.ok, inspect(parsed, { depth: 5 }));
  return parsed.resource.spec;
}

const cluster = {
  kind: 'Cluster',
  name: 'web',
  endpoints: [{ address: '10.0.0.1', port: 8080 }],
  healthCheck: { http: { path: '/healthz' }, intervalMs: 1000 },
  circuitBreakers: { maxRequests: 100, maxPendingRequests: 10 },
};
const reordered = {
  circuitBreakers: { maxPendingRequests: 10, maxRequests: 100 },
  healthCheck: { intervalMs: 1000, http: { path: '/healthz' } },
  endpoints: [{ port: 8080, address: '10.0.0.1' }],
  name: 'web',
  kind: 'Cluster',
};

test('a cluster written in another key order has the same fingerprint', () => {
  assert.equal(specFingerprint(spec(reordered)), specFingerprint(spec(cluster)));
});

test('a listener written in another key order has the same fingerprint', () => {
  const a = spec({ kind: 'Listener', name: 'main', address: '127.0.0.1', port: 8080, limits: { idleTimeoutMs: 1000, headerTimeoutMs: 2000 } });
  const b = spec({ limits: { headerTimeoutMs: 2000, idleTimeoutMs: 1000 }, port: 8080, address: '127.0.0.1', name: 'main', kind: 'Listener' });
  assert.equal(specFingerprint(b), specFingerprint(a));
});

test('a changed value anywhere changes the fingerprint', () => {
  const base = specFingerprint(spec(cluster));
  assert.notEqual(specFingerprint(spec({ ...cluster, healthCheck: { http: { path: '/ready' }, intervalMs: 1000 } })), base);
  assert.notEqual(specFingerprint(spec({ ...cluster, endpoints: [{ address: '10.0.0.1', port: 8081 }] })), base);
  assert.notEqual(specFingerprint(spec({ ...cluster, circuitBreakers: { maxRequests: 100 } })), base);
  assert.notEqual(specFingerprint({ size: 1n }), specFingerprint({ size: 2n }));
  assert.notEqual(specFingerprint({ key: new Uint8Array([1, 2]) }), specFingerprint({ key: new Uint8Array([1, 3]) }));
});
