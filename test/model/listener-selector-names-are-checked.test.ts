// A Listener's selector is checked like a policy's: a service must be a resource name, a namespace a
// DNS label; each bad field is named by its path. An empty or missing selector is valid (every proxy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResource } from '../../proto/src/model/validate-resource.js';

function errorsOf(doc: Record<string, unknown>): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

const listener = (extra: Record<string, unknown>) => ({ kind: 'Listener', name: 'gw', address: '0.0.0.0', port: 8443, ...extra });

test('a selector with a valid service and namespace, an empty one, and none at all are accepted', () => {
  assert.deepEqual(errorsOf(listener({ selector: { service: 'gateway-b', namespace: 'edge' } })), []);
  assert.deepEqual(errorsOf(listener({ selector: {} })), []);
  assert.deepEqual(errorsOf(listener({})), []);
});

test('a bad service name and a bad namespace are both reported with their paths', () => {
  const errors = errorsOf(listener({ selector: { service: 'Gateway B!', namespace: 'Edge_1' } }));
  assert.deepEqual(errors.map((e) => e.split(': ')[0]), ['listeners[gw].selector.service', 'listeners[gw].selector.namespace']);
  assert.match(errors[1]!, /not a valid namespace/);
});

test('an unknown selector field is refused by name', () => {
  const errors = errorsOf(listener({ selector: { app: 'b' } }));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /selector/);
});
