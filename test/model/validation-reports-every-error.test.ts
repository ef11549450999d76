// Validation returns every problem of a document, each with its field path, instead of the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { checkChangeSet } from '../../proto/src/model/change-set.js';
import { ResourceSet } from '../../proto/src/model/resource-set.js';
import type { Resource } from '../../proto/src/model/kinds.js';

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

function resource(doc: unknown): Resource {
  const r = parseResource(doc, 'documents[0]');
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.resource;
}

test('structural errors: unknown fields, wrong types and bad enum values are all reported', () => {
  const errors = errorsOf({
    kind: 'Cluster', name: 'api', loadBalancing: 'FASTEST', connectTimeoutMs: 'soon', colour: 'blue',
    endpoints: [{ address: '10.0.0.1', port: 80, wieght: 3 }, 'not-an-object'],
  });
  assert.deepEqual(errors.sort(), [
    'clusters[api].colour: unknown field "colour"',
    'clusters[api].connectTimeoutMs: must be an integer, got "soon"',
    'clusters[api].endpoints[0].wieght: unknown field "wieght"',
    'clusters[api].endpoints[1]: must be an object, got "not-an-object"',
    'clusters[api].loadBalancing: must be one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV, got "FASTEST"',
  ]);
});

test('semantic errors of one route are all reported', () => {
  const errors = errorsOf({
    kind: 'Route', name: 'r', hosts: ['ok.example', 'bad host'],
    match: { pathPrefix: 'no-slash', methods: ['GET', 'BAD METHOD'], headers: [{ name: 'x', regex: '(' }] },
    forward: { cluster: 'a', weighted: [{ cluster: 'b', weight: 1 }] },
    requestHeaders: { set: { connection: 'close' } },
    retry: { attempts: 50 },
  });
  assert.equal(errors.length, 7, errors.join('\n'));
  for (const path of ['routes[r].hosts[1]', 'routes[r].match.pathPrefix', 'routes[r].match.methods[1]', 'routes[r].match.headers[0].regex',
    'routes[r].forward', 'routes[r].requestHeaders.set.connection', 'routes[r].retry.attempts']) {
    assert.ok(errors.some((e) => e.startsWith(`${path}: `)), `missing ${path} in\n${errors.join('\n')}`);
  }
});

test('a document without a known kind names the document', () => {
  assert.deepEqual(errorsOf({ name: 'x' }), ['documents[0].kind: must be one of Certificate, Cluster, Endpoints, PeerAuthentication, AuthorizationPolicy, Telemetry, Sidecar, Listener, Route (got no kind)']);
  assert.match(errorsOf({ kind: 'Gateway', name: 'x' })[0]!, /got kind "Gateway"/);
});

test('deleting a referenced cluster names every referrer; deleting both together is fine', () => {
  const cluster = resource({ kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 8080 }] });
  const route = resource({ kind: 'Route', name: 'r', forward: { weighted: [{ cluster: 'web', weight: 1 }] } });
  const eps = resource({ kind: 'Endpoints', name: 'web', endpoints: [{ address: '127.0.0.2', port: 8080 }] });
  const set = ResourceSet.of([cluster, route, eps]);
  const alone = checkChangeSet(set, { puts: [], deletes: [{ kind: 'Cluster', name: 'web' }] });
  assert.deepEqual(alone.referenced.map((e) => e.message).sort(), ['still referenced by endpoints[web].name', 'still referenced by routes[r].forward.weighted[0].cluster']);
  const together = checkChangeSet(set, { puts: [], deletes: [{ kind: 'Cluster', name: 'web' }, { kind: 'Route', name: 'r' }, { kind: 'Endpoints', name: 'web' }] });
  assert.deepEqual(together.referenced, []);
});

test('listeners may not share an address and port', () => {
  const a = resource({ kind: 'Listener', name: 'a', address: '127.0.0.1', port: 8080 });
  const b = resource({ kind: 'Listener', name: 'b', address: '127.0.0.1', port: 8080 });
  const check = checkChangeSet(ResourceSet.of([a]), { puts: [b], deletes: [] });
  assert.deepEqual(check.invalid, [{ path: 'listeners[b].port', message: '127.0.0.1:8080 is already used by listener "a"' }]);
});
