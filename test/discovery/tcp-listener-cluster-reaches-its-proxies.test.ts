// Scoped configuration and TCP listeners: a proxy that receives a TCP listener receives the cluster it
// pipes to (and its endpoints), even when a Sidecar declaration names no host of it; a proxy without a
// declaration does not receive a cluster only another workload's TCP listener uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, type Kind } from '../../proto/src/model/kinds.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { encodeResource, type EncodedResource } from '../../proto/src/wire/encoded-resource.js';
import { viewFor } from '../../control-plane/src/discovery/proxy-scope.js';
import { Snapshot } from '../../control-plane/src/snapshot/snapshot.js';

function snapshot(serial: number, docs: Array<Record<string, unknown>>): Snapshot {
  const byKind = new Map<Kind, Map<string, EncodedResource>>(KINDS.map((k) => [k, new Map()]));
  for (const { kind, ...spec } of docs) {
    const entry = encodeResource(specFromJson(kind as Kind, spec));
    byKind.get(kind as Kind)!.set(entry.name, entry);
  }
  return new Snapshot(serial, serial, byKind, new Map([...byKind].map(([k, m]) => [k, new Set(m.keys())])));
}

test('a TCP listener brings its cluster and endpoints to the proxies that receive it, and only to them', () => {
  const s = snapshot(1, [
    { kind: 'Cluster', name: 'postgres' },
    { kind: 'Endpoints', name: 'postgres', endpoints: [{ address: '10.0.0.5', port: 5432 }] },
    { kind: 'Cluster', name: 'b' },
    { kind: 'Route', name: 'to-b', hosts: ['b.mesh'], forward: { cluster: 'b' } },
    { kind: 'Listener', name: 'db', port: 15432, protocol: 'TCP', tcp: { cluster: 'postgres' }, selector: { service: 'a' } },
    { kind: 'Sidecar', name: 'a-calls', selector: { service: 'a' }, egress: { hosts: ['b.mesh'] } },
  ]);
  const a = viewFor(s, { service: 'a', namespace: '' });
  assert.deepEqual([...a.base('Listener').keys()], ['db']);
  assert.deepEqual([...a.base('Cluster').keys()].sort(), ['b', 'postgres'], 'declared b, and the TCP listener\'s cluster');
  assert.deepEqual([...a.base('Endpoints').keys()], ['postgres']);
  const other = viewFor(s, { service: 'c', namespace: '' });
  assert.deepEqual([...other.base('Listener').keys()], []);
  assert.deepEqual([...other.base('Cluster').keys()], ['b'], 'a cluster only a TCP listener of another workload uses is not sent');
});
