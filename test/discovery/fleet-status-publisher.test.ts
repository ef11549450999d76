// The fleet-status publisher on its own: whatever the fleet's size, a change every proxy ACKs is one
// small write (the sync line), nothing is written when nothing changed, one proxy's NACK rewrites one
// card shard, and what it writes is what another replica's FleetView reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema, NodeSchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { FleetStatusPublisher } from '../../control-plane/src/discovery/fleet-status-publisher.js';
import { FleetView } from '../../control-plane/src/discovery/fleet-view.js';
import { ProxyRegistry } from '../../control-plane/src/discovery/proxy-registry.js';
import { StreamState } from '../../control-plane/src/discovery/stream-state.js';
import { Snapshot } from '../../control-plane/src/snapshot/snapshot.js';
import { EmbeddedLeaseStore } from '../../control-plane/src/store/embedded-lease-store.js';
import type { Lease } from '../../control-plane/src/store/lease-store.js';
import { KINDS, type Kind } from '../../proto/src/model/kinds.js';
import type { EncodedResource } from '../../proto/src/wire/encoded-resource.js';
import { encodeResource } from '../../proto/src/wire/encoded-resource.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { until } from '../support/until.js';

const PROXIES = 5_000;
const SHARDS = 64;

/** An EmbeddedLeaseStore that counts the writes of its leases. */
class CountingLeases extends EmbeddedLeaseStore {
  writes = 0;
  override grant(ttlSeconds: number): Lease {
    const lease = super.grant(ttlSeconds);
    const count = (): void => void this.writes++;
    return {
      ttlSeconds: lease.ttlSeconds,
      put: (k, v, f) => (count(), lease.put(k, v, f)),
      delete: (k, f) => (count(), lease.delete(k, f)),
      release: () => lease.release(),
      revoke: () => lease.revoke(),
      onLost: (l) => lease.onLost(l),
    };
  }
}

function snapshotWith(revision: number, serial: number, clusterPort: number): Snapshot {
  const byKind = new Map<Kind, Map<string, EncodedResource>>(KINDS.map((k) => [k, new Map()]));
  byKind.get('Cluster')!.set('web', encodeResource(specFromJson('Cluster', { name: 'web', endpoints: [{ address: '127.0.0.1', port: clusterPort }] })));
  return new Snapshot(revision, serial, byKind, new Map([['Cluster', new Set(['web'])]]));
}

/** Sends a stream what is pending and ACKs it, as a proxy would. */
function sync(s: StreamState): void {
  for (let out = s.next(); out !== undefined; out = s.next()) s.onRequest(create(DiscoveryRequestSchema, { type: out.type, responseNonce: out.nonce }));
}

test(`${PROXIES} proxies: a change they all ACK is one write, and only what changed is written`, async () => {
  const leases = new CountingLeases();
  const registry = new ProxyRegistry();
  let snapshot = snapshotWith(5, 1, 80);
  const streams = Array.from({ length: PROXIES }, (_, i) => {
    const s = new StreamState(String(i + 1), create(NodeSchema, { id: `p-${String(i).padStart(5, '0')}`, service: `svc-${i % 50}` }), `10.0.0.1:${i}`, snapshot);
    s.onRequest(create(DiscoveryRequestSchema, { type: 'Cluster', subscribe: ['*'] }));
    sync(s);
    registry.add(s);
    return s;
  });
  const view = new FleetView(leases, 'r2');
  view.start();
  const own = new FleetView(leases, 'r1');
  own.start();
  let current = 5;
  const publisher = new FleetStatusPublisher(registry, leases, { replicaId: 'r1', ttlSeconds: 10, shards: SHARDS, revision: () => current });

  await publisher.flush();
  assert.equal(leases.writes, SHARDS + 1, 'the first publish writes each card shard once, and the sync line');
  const published = await until('the view reads every proxy', () => (view.records().length === PROXIES ? view.records() : undefined));
  assert.ok(published.every((p) => p.ackedRevision === 5 && p.replica === 'r1'));

  // Every proxy ACKs a new revision: one write, the sync line, of a few bytes.
  snapshot = snapshotWith(9, 2, 81);
  current = 9;
  for (const s of streams) {
    s.onSnapshot(snapshot);
    sync(s);
  }
  leases.writes = 0;
  await publisher.flush();
  assert.equal(leases.writes, 1);
  await until('the view sees revision 9 everywhere', () => view.records().every((p) => p.ackedRevision === 9) || undefined);

  // Half of them behind: named in the sync line, each at its revision.
  current = 10;
  for (const s of streams.slice(0, PROXIES / 2)) {
    s.onSnapshot(snapshotWith(10, 3, 81));
    sync(s);
  }
  await publisher.flush();
  const behind = await until('the view sees half at 10', () => {
    const r = view.records();
    return r.filter((p) => p.ackedRevision === 10).length === PROXIES / 2 ? r.filter((p) => p.ackedRevision === 9) : undefined;
  });
  assert.equal(behind.length, PROXIES / 2);
  for (const s of streams.slice(PROXIES / 2)) {
    s.onSnapshot(snapshotWith(10, 3, 81));
    sync(s);
  }
  await publisher.flush();

  leases.writes = 0;
  await publisher.flush();
  assert.equal(leases.writes, 0, 'nothing changed, nothing written');

  // A new revision that one proxy NACKs: its card shard and the sync line.
  const one = streams[1234]!;
  current = 12;
  for (const s of streams) {
    s.onSnapshot(snapshotWith(12, 4, 82));
    if (s !== one) sync(s);
  }
  const out = one.next()!;
  one.onRequest(create(DiscoveryRequestSchema, { type: out.type, responseNonce: out.nonce, errorDetail: { message: 'port 82 is refused' } }));
  one.next();
  leases.writes = 0;
  await publisher.flush();
  assert.equal(leases.writes, 2);
  const rejected = await until('the NACK is published', () => view.records().find((p) => p.nodeId === one.node.id && p.rejected.length > 0));
  assert.match(rejected.rejected[0]!.error, /port 82 is refused/);

  // A proxy disconnects: its shard is rewritten without it.
  registry.remove(streams[0]!);
  leases.writes = 0;
  await publisher.flush();
  assert.equal(leases.writes, 1);
  await until('the view drops it', () => (view.records().length === PROXIES - 1) || undefined);
  assert.deepEqual(own.records(), [], 'a replica leaves its own records out (it reads its registry)');

  await publisher.stop();
  await until('a stopped publisher\'s records are gone', () => view.records().length === 0 || undefined);
  await view.stop();
  await own.stop();
});

test('a proxy whose card went out before its first ACK gets that ACK published at once, not a refresh later', async () => {
  const leases = new CountingLeases();
  const registry = new ProxyRegistry();
  const s = new StreamState('1', create(NodeSchema, { id: 'slow-acker', service: 'svc' }), '10.0.0.1:1', snapshotWith(5, 1, 80));
  s.onRequest(create(DiscoveryRequestSchema, { type: 'Cluster', subscribe: ['*'] }));
  registry.add(s);
  const view = new FleetView(leases, 'r2');
  view.start();
  // A refresh far beyond the test: only the first-ACK rule can publish the ACK.
  const publisher = new FleetStatusPublisher(registry, leases, { replicaId: 'r1', ttlSeconds: 10, shards: SHARDS, revision: () => 5, cardRefreshMs: 3_600_000 });
  try {
    await publisher.flush();
    const before = await until('the card without an ACK', () => view.records().find((p) => p.nodeId === 'slow-acker'));
    assert.equal(before.lastAckAt, undefined);
    await new Promise((r) => setTimeout(r, 5));
    sync(s);
    await publisher.flush();
    const after = await until('the card with its first ACK', () => view.records().find((p) => p.nodeId === 'slow-acker' && p.lastAckAt !== undefined));
    assert.equal(after.ackedRevision, 5);
    // Later ACKs wait for the refresh: a change ACKed again rewrites no card.
    const writes = leases.writes;
    await new Promise((r) => setTimeout(r, 5));
    s.onSnapshot(snapshotWith(6, 2, 81));
    sync(s);
    await publisher.flush();
    assert.equal(leases.writes - writes, 0, 'a later ACK waits for the refresh');
  } finally {
    await publisher.stop();
    await view.stop();
  }
});
