// A TCP listener is checked like any resource: its missing cluster, HTTP-only limits, TLS, bounds and
// a `tcp` block on an HTTP listener are each named with their field path; the cluster must exist, and
// a route may not bind a TCP listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { parseConfigText } from '../../data-plane/src/cli/load-proxy-config.js';

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`).sort();
}

const tcpListener = (extra: object): object => ({ kind: 'Listener', name: 'db', address: '127.0.0.1', port: 5432, protocol: 'TCP', ...extra });

test('a TCP listener: each error is named with its path; a valid one passes', () => {
  assert.deepEqual(errorsOf(tcpListener({ tcp: { cluster: 'postgres', idleTimeoutMs: 600000, maxConnectAttempts: 2 }, limits: { maxConnections: 100, drainTimeoutMs: 30000, headerTimeoutMs: 5000 } })), []);
  assert.deepEqual(errorsOf(tcpListener({})), ['listeners[db].tcp.cluster: a TCP listener needs the cluster its connections go to']);
  assert.deepEqual(errorsOf(tcpListener({ tcp: { cluster: 'postgres', idleTimeoutMs: 100000000, maxConnectAttempts: 11 } })), [
    'listeners[db].tcp.idleTimeoutMs: must be 0 (the default) or between 1 and 86400000, got 100000000',
    'listeners[db].tcp.maxConnectAttempts: must be 0 (the default) or between 1 and 10, got 11',
  ]);
  assert.deepEqual(errorsOf(tcpListener({ tcp: { cluster: 'postgres' }, limits: { idleTimeoutMs: 1000, maxHeaderBytes: 4096, requestTimeoutMs: 10 } })), [
    'listeners[db].limits.idleTimeoutMs: applies to HTTP listeners; a TCP listener has tcp.idleTimeoutMs',
    'listeners[db].limits.maxHeaderBytes: applies to HTTP listeners only',
    'listeners[db].limits.requestTimeoutMs: applies to HTTP listeners only',
  ]);
  assert.deepEqual(errorsOf(tcpListener({ tcp: { cluster: 'postgres' }, tls: { certificates: ['c'] } })), ['listeners[db].tls: is only allowed with protocol HTTPS']);
  assert.deepEqual(errorsOf({ kind: 'Listener', name: 'web', address: '127.0.0.1', port: 8080, tcp: { cluster: 'postgres' } }), ['listeners[web].tcp: is only allowed with protocol TCP']);
});

test('references: the TCP cluster must exist, and no route may bind a TCP listener', () => {
  const parsed = parseConfigText(`kind: Listener
name: db
address: 127.0.0.1
port: 15432
protocol: TCP
tcp: {cluster: postgres}
---
kind: Listener
name: cache
address: 127.0.0.1
port: 16379
protocol: TCP
tcp: {cluster: redis}
---
kind: Cluster
name: redis
endpoints: [{address: 127.0.0.1, port: 6379}]
---
kind: Route
name: wrong
hosts: ["*"]
listeners: [cache]
forward: {cluster: redis}
`, 'yaml');
  assert.equal(parsed.ok, false);
  const errors = (parsed.ok ? [] : parsed.errors).map((e) => `${e.path}: ${e.message}`).sort();
  assert.deepEqual(errors, [
    'listeners[db].tcp.cluster: unknown cluster "postgres"',
    'routes[wrong].listeners[0]: listener "cache" is a TCP listener; routes serve HTTP and HTTPS listeners',
  ]);
});
