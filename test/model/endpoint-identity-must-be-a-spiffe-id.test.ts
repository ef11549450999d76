// An endpoint's `identity` names the mesh workload a sidecar must find in the server certificate; a
// value that is not a SPIFFE ID could never match one, so it is refused with its path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseResource } from '../../proto/src/model/validate-resource.js';

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

test('a SPIFFE ID is accepted on cluster and Endpoints entries; anything else is refused with its path', () => {
  const ok = { address: '10.0.0.1', port: 15006, identity: 'spiffe://sluice.local/svc/b' };
  assert.deepEqual(errorsOf({ kind: 'Cluster', name: 'b', endpoints: [ok] }), []);
  assert.deepEqual(errorsOf({ kind: 'Endpoints', name: 'b', endpoints: [ok] }), []);
  const bad = [{ ...ok, identity: 'b' }, { ...ok, port: 15007, identity: 'https://sluice.local/svc/b' }];
  assert.deepEqual(errorsOf({ kind: 'Endpoints', name: 'b', endpoints: bad }), [
    'endpoints[b].endpoints[0].identity: must be a SPIFFE ID (spiffe://<trust-domain>/<path>)',
    'endpoints[b].endpoints[1].identity: must be a SPIFFE ID (spiffe://<trust-domain>/<path>)',
  ]);
});
