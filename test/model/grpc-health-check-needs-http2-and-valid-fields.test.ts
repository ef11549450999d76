// A gRPC health check is valid only on an H2C or H2 cluster (gRPC runs over HTTP/2), and its service
// name and authority are checked; each problem is reported with its path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseResource } from '../../proto/src/model/validate-resource.js';

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

const cluster = (protocol: string, grpc: unknown): unknown => ({ kind: 'Cluster', name: 'cart', protocol, endpoints: [{ address: '10.0.0.1', port: 50051 }], healthCheck: { grpc } });

test('on H2C and H2 clusters, with or without a service name and authority, it is valid', () => {
  assert.deepEqual(errorsOf(cluster('H2C', {})), []);
  assert.deepEqual(errorsOf(cluster('H2', { serviceName: 'shop.v1.Cart', authority: 'cart.internal' })), []);
  assert.deepEqual(errorsOf(cluster('H2C', { authority: 'cart.internal:50051' })), []);
  assert.deepEqual(errorsOf(cluster('H2C', { authority: '[::1]:50051' })), []);
  assert.deepEqual(errorsOf(cluster('H2C', { authority: '10.0.0.1' })), []);
});

test('on HTTP1 and AUTO clusters it is refused', () => {
  assert.deepEqual(errorsOf(cluster('HTTP1', {})), ['clusters[cart].healthCheck.grpc: needs a cluster of protocol H2C or H2 (gRPC runs over HTTP/2), got HTTP1']);
  assert.deepEqual(errorsOf(cluster('AUTO', {})), ['clusters[cart].healthCheck.grpc: needs a cluster of protocol H2C or H2 (gRPC runs over HTTP/2), got AUTO']);
});

test('a bad service name or authority is reported with its path', () => {
  assert.deepEqual(errorsOf(cluster('H2C', { serviceName: 'shop.v1.Cart ', authority: 'http://cart' })).sort(), [
    'clusters[cart].healthCheck.grpc.authority: "http://cart" is not a valid authority: use a host name or IP address, optionally with ":port"',
    'clusters[cart].healthCheck.grpc.serviceName: must not contain whitespace or control characters, got "shop.v1.Cart "',
  ]);
  for (const authority of ['cart:0', 'cart:65536', 'cart:', '[::1', '::1', 'ca rt', 'cart/x']) {
    assert.equal(errorsOf(cluster('H2C', { authority })).length, 1, authority);
  }
});

test('a health check with no kind names the three', () => {
  assert.deepEqual(errorsOf({ kind: 'Cluster', name: 'cart', endpoints: [{ address: '10.0.0.1', port: 80 }], healthCheck: { intervalMs: 1000 } }), ['clusters[cart].healthCheck: one of http, tcp, grpc is required']);
});
