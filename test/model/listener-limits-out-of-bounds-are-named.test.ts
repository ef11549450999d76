// Listener limits outside their bounds are refused with their field path; 0 (unset) means the default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResource } from '../../proto/src/model/validate-resource.js';

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

test('listener limits: each value out of bounds is named; defaults and values in bounds pass', () => {
  const listener = (limits: object): object => ({ kind: 'Listener', name: 'l', address: '127.0.0.1', port: 8080, limits });
  assert.deepEqual(errorsOf(listener({})), []);
  assert.deepEqual(errorsOf(listener({ maxHeaderBytes: 0, maxHeaderCount: 0, headerTimeoutMs: 0, bodyIdleTimeoutMs: 0, bodyBufferBytes: 0 })), []);
  assert.deepEqual(errorsOf(listener({ maxHeaderBytes: 65536, maxHeaderCount: 200, headerTimeoutMs: 30000, bodyIdleTimeoutMs: 60000, bodyBufferBytes: 1048576, maxConnections: 10 })), []);
  assert.deepEqual(errorsOf(listener({ maxHeaderBytes: 100, maxHeaderCount: 20000, headerTimeoutMs: 600000, bodyIdleTimeoutMs: 7200000, bodyBufferBytes: 1 << 30 })).sort(), [
    'listeners[l].limits.bodyBufferBytes: must be 0 (the default) or between 1 and 16777216, got 1073741824',
    'listeners[l].limits.bodyIdleTimeoutMs: must be 0 (the default) or between 1 and 3600000, got 7200000',
    'listeners[l].limits.headerTimeoutMs: must be 0 (the default) or between 1 and 300000, got 600000',
    'listeners[l].limits.maxHeaderBytes: must be 0 (the default) or between 1024 and 1048576, got 100',
    'listeners[l].limits.maxHeaderCount: must be 0 (the default) or between 1 and 10000, got 20000',
  ]);
});

test('a route may stream its request bodies', () => {
  assert.deepEqual(errorsOf({ kind: 'Route', name: 'r', forward: { cluster: 'a' }, streamRequestBody: true }), []);
});
