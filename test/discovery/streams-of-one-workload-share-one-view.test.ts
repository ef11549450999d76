// Scoping is computed once per workload and snapshot: every stream of a workload gets the same view
// object and the same shared maps (the encodings are the snapshot's own), a workload that receives all
// clusters shares the snapshot's maps outright, and a change to a service a declaring workload does not
// call moves nothing for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, type Kind } from '../../proto/src/model/kinds.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { encodeResource, type EncodedResource } from '../../proto/src/wire/encoded-resource.js';
import { viewFor } from '../../control-plane/src/discovery/proxy-scope.js';
import { Snapshot } from '../../control-plane/src/snapshot/snapshot.js';

function snapshot(serial: number, docs: Array<Record<string, unknown>>, previous?: Snapshot): Snapshot {
  const byKind = new Map<Kind, Map<string, EncodedResource>>(KINDS.map((k) => [k, new Map()]));
  for (const { kind, ...spec } of docs) {
    const entry = encodeResource(specFromJson(kind as Kind, spec));
    byKind.get(kind as Kind)!.set(entry.name, entry);
  }
  // Kinds whose entries did not change keep the previous snapshot's map, as SnapshotBuilder does.
  const changed = new Map<Kind, Set<string>>();
  for (const kind of KINDS) {
    const before = previous?.kind(kind);
    const now = byKind.get(kind)!;
    const names = new Set<string>();
    for (const n of new Set([...(before?.keys() ?? []), ...now.keys()])) if (before?.get(n)?.version !== now.get(n)?.version) names.add(n);
    if (names.size > 0) changed.set(kind, names);
    else if (before !== undefined) byKind.set(kind, before as Map<string, EncodedResource>);
  }
  return new Snapshot(serial, serial, byKind, changed);
}

const service = (name: string, port = 8080): Array<Record<string, unknown>> => [
  { kind: 'Cluster', name },
  { kind: 'Endpoints', name, endpoints: [{ address: '10.0.0.1', port }] },
  { kind: 'Route', name: `to-${name}`, hosts: [`${name}.mesh`], forward: { cluster: name } },
];
const declaration = { kind: 'Sidecar', name: 'a-calls', selector: { service: 'a' }, egress: { hosts: ['b.mesh'] } };

test('streams of one workload share one view and its maps; an undeclared workload shares the snapshot maps', () => {
  const s1 = snapshot(1, [...service('b'), ...service('c'), declaration]);
  const a1 = viewFor(s1, { service: 'a', namespace: '' });
  const a2 = viewFor(s1, { service: 'a', namespace: '' });
  assert.equal(a1, a2);
  assert.deepEqual([...a1.base('Cluster').keys()], ['b']);
  assert.deepEqual([...a1.base('Route').keys()], ['to-b']);
  assert.equal(a1.base('Cluster').get('b'), s1.entry('Cluster', 'b'), 'the snapshot encoding itself, not a copy');
  assert.equal(a1.base('Sidecar').size, 0);
  const other = viewFor(s1, { service: 'other', namespace: '' });
  assert.notEqual(other, a1);
  for (const kind of ['Cluster', 'Endpoints', 'Route'] as const) assert.equal(other.base(kind), s1.kind(kind), kind);
});

test('a change to a service the workload does not call moves nothing for it; one to a called service only changes it', () => {
  const docs = [...service('b'), ...service('c'), declaration];
  const s1 = snapshot(1, docs);
  const v1 = viewFor(s1, { service: 'a', namespace: '' });
  const s2 = snapshot(2, [...service('b'), ...service('c', 9090), declaration], s1);
  const v2 = viewFor(s2, { service: 'a', namespace: '' }, v1);
  assert.deepEqual(v2.movedSince(v1), new Map());
  assert.equal(v2.entry('Endpoints', 'c'), undefined);
  assert.equal(v2.base('Cluster'), v1.base('Cluster'), 'the cluster map is reused');
  // Declaring c moves its route, cluster and endpoints into the view.
  const s3 = snapshot(3, [...service('b'), ...service('c', 9090), { ...declaration, egress: { hosts: ['b.mesh', 'c.mesh'] } }], s2);
  const v3 = viewFor(s3, { service: 'a', namespace: '' }, v2);
  const moved = Object.fromEntries([...v3.movedSince(v2)].map(([k, names]) => [k, [...names].sort()]));
  assert.deepEqual(moved, { Route: ['to-c'], Cluster: ['c'], Endpoints: ['c'] });
});
