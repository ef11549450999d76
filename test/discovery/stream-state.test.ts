// StreamState on its own (no gRPC): what it decides to send for subscriptions, ACKs, NACKs and new
// snapshots, in the scenarios the network tests cannot easily stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema, NodeSchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { StreamState, type Outgoing } from '../../control-plane/src/discovery/stream-state.js';
import { KINDS, type Kind, type Resource } from '../../proto/src/model/kinds.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import { encodeResource, type EncodedResource } from '../../proto/src/wire/encoded-resource.js';
import { Snapshot } from '../../control-plane/src/snapshot/snapshot.js';

const res = (kind: Kind, spec: Record<string, unknown>): Resource => specFromJson(kind, spec);
const clusterRes = (name: string): Resource => res('Cluster', { name, endpoints: [{ address: '127.0.0.1', port: 80 }] });
const routeRes = (name: string, cluster: string, body = ''): Resource =>
  res('Route', { name, hosts: ['s.local'], match: { pathPrefix: `/${name}/` }, forward: { cluster }, ...(body ? { requestHeaders: { set: { 'x-pad': body } } } : {}) });

/** Snapshots in sequence, each with the names it changed. */
class Snapshots {
  current = Snapshot.empty();

  next(revision: number, puts: Resource[], deletes: Array<[Kind, string]> = []): Snapshot {
    const byKind = new Map<Kind, Map<string, EncodedResource>>(KINDS.map((k) => [k, new Map(this.current.kind(k))]));
    const changed = new Map<Kind, Set<string>>();
    const mark = (k: Kind, n: string): void => void (changed.get(k) ?? changed.set(k, new Set()).get(k)!).add(n);
    for (const r of puts) {
      byKind.get(r.kind)!.set(r.spec.name, encodeResource(r));
      mark(r.kind, r.spec.name);
    }
    for (const [k, n] of deletes) {
      byKind.get(k)!.delete(n);
      mark(k, n);
    }
    this.current = new Snapshot(revision, this.current.serial + 1, byKind, changed);
    return this.current;
  }
}

const node = create(NodeSchema, { id: 'unit' });
const req = (r: MessageInitShape<typeof DiscoveryRequestSchema>) => create(DiscoveryRequestSchema, r);
const ack = (s: StreamState, out: Outgoing): void => void s.onRequest(req({ type: out.type, responseNonce: out.nonce }));
const names = (out: Outgoing | undefined): string[] => (out === undefined ? [] : [...out.resources.map((r) => `+${r.name}`), ...out.removed.map((n) => `-${n}`)]);

test('a kind larger than 1 MiB goes in several responses, each after the ACK of the one before', () => {
  const snaps = new Snapshots();
  const pad = 'x'.repeat(100_000);
  snaps.next(2, [clusterRes('c'), ...Array.from({ length: 25 }, (_, i) => routeRes(`r${i}`, 'c', pad))]);
  const s = new StreamState('1', node, 'test', snaps.current);
  s.onRequest(req({ node, type: 'Route', subscribe: ['*'] }));
  const seen = new Set<string>();
  let responses = 0;
  for (let out = s.next(); out !== undefined; out = s.next()) {
    assert.ok(out.bytes.length <= (1 << 20) + 110_000, `response of ${out.bytes.length} bytes`);
    assert.equal(s.next(), undefined, 'nothing more while one is in flight');
    for (const r of out.resources) seen.add(r.name);
    responses++;
    ack(s, out);
  }
  assert.equal(seen.size, 25);
  assert.ok(responses >= 3, `${responses} responses`);
  assert.equal(s.syncedRevision, 2);
});

test('a proxy subscribed to one name gets that one only, and nothing after unsubscribing', () => {
  const snaps = new Snapshots();
  snaps.next(2, [clusterRes('a'), clusterRes('b')]);
  const s = new StreamState('1', node, 'test', snaps.current);
  s.onRequest(req({ node, type: 'Cluster', subscribe: ['a'] }));
  const first = s.next()!;
  assert.deepEqual(names(first), ['+a']);
  ack(s, first);
  assert.equal(s.next(), undefined);
  s.onRequest(req({ type: 'Cluster', unsubscribe: ['a'] }));
  s.onSnapshot(snaps.next(3, [res('Cluster', { name: 'a', endpoints: [{ address: '127.0.0.2', port: 80 }] })]));
  assert.equal(s.next(), undefined, 'an unsubscribed name is neither updated nor sent as removed');
  assert.equal(s.versionOf('Cluster', 'a'), undefined);
});

test('a stale nonce is ignored: the response in flight stays in flight', () => {
  const snaps = new Snapshots();
  snaps.next(2, [clusterRes('a')]);
  const s = new StreamState('1', node, 'test', snaps.current);
  s.onRequest(req({ node, type: 'Cluster', subscribe: ['*'] }));
  const out = s.next()!;
  assert.equal(s.onRequest(req({ type: 'Cluster', responseNonce: 'not-it' })), 'stale');
  assert.equal(s.pending, out);
  assert.equal(s.onRequest(req({ type: 'Cluster', responseNonce: out.nonce })), 'ack');
  assert.equal(s.pending, undefined);
});

test('a route rejected because its new cluster was rejected is offered again once a fixed cluster is ACKed', () => {
  const snaps = new Snapshots();
  snaps.next(2, [clusterRes('old'), routeRes('r', 'old')]);
  const s = new StreamState('1', node, 'test', snaps.current);
  s.onRequest(req({ node, type: 'Cluster', subscribe: ['*'] }));
  s.onRequest(req({ type: 'Route', subscribe: ['*'] }));
  for (let out = s.next(); out !== undefined; out = s.next()) ack(s, out);

  s.onSnapshot(snaps.next(3, [clusterRes('new'), routeRes('r', 'new')]));
  const c = s.next()!;
  assert.deepEqual(names(c), ['+new']);
  s.onRequest(req({ type: 'Cluster', responseNonce: c.nonce, errorDetail: { message: 'bad cluster', rejectedResources: ['new'] } }));
  const r = s.next()!;
  assert.deepEqual(names(r), ['+r']);
  s.onRequest(req({ type: 'Route', responseNonce: r.nonce, errorDetail: { message: 'unknown cluster "new"', rejectedResources: ['r'] } }));
  assert.equal(s.next(), undefined, 'both held back');
  assert.deepEqual(s.rejections().map((x) => `${x.kind}/${x.name}`).sort(), ['Cluster/new', 'Route/r']);

  s.onSnapshot(snaps.next(4, [res('Cluster', { name: 'new', endpoints: [{ address: '127.0.0.3', port: 80 }] })]));
  const fixed = s.next()!;
  assert.deepEqual(names(fixed), ['+new']);
  ack(s, fixed);
  const again = s.next()!;
  assert.deepEqual(names(again), ['+r'], 'the dependent route is offered once more');
  ack(s, again);
  assert.equal(s.next(), undefined);
  assert.deepEqual(s.rejections(), []);
  assert.equal(s.syncedRevision, 4);
});

test('once in sync the proxy versions are the snapshot map; later changes diff against it', () => {
  const snaps = new Snapshots();
  snaps.next(2, [clusterRes('c'), ...Array.from({ length: 50 }, (_, i) => routeRes(`r${i}`, 'c'))]);
  const s = new StreamState('1', node, 'test', snaps.current);
  s.onRequest(req({ node, type: 'Cluster', subscribe: ['*'] }));
  s.onRequest(req({ type: 'Route', subscribe: ['*'] }));
  for (let out = s.next(); out !== undefined; out = s.next()) ack(s, out);
  assert.equal(s.versionOf('Route', 'r7'), snaps.current.entry('Route', 'r7')!.version);

  s.onSnapshot(snaps.next(3, [routeRes('r7', 'c', 'changed')], [['Route', 'r8']]));
  const put = s.next()!;
  assert.deepEqual(names(put), ['+r7']);
  ack(s, put);
  const removal = s.next()!;
  assert.deepEqual(names(removal), ['-r8']);
  ack(s, removal);
  assert.equal(s.next(), undefined);
  assert.equal(s.versionOf('Route', 'r8'), undefined);
  assert.equal(s.versionOf('Route', 'r7'), snaps.current.entry('Route', 'r7')!.version);
});

test('a listener moving to another service: the key arrives before the listener, and leaves only after it', () => {
  const snaps = new Snapshots();
  const cert = res('Certificate', { name: 'gw-cert', certChain: 'chain', privateKey: 'key' });
  const gateway = (service: string): Resource => res('Listener', { name: 'gw', port: 8443, protocol: 'HTTPS', selector: { service }, tls: { certificates: ['gw-cert'] } });
  snaps.next(2, [cert, clusterRes('c'), gateway('b'), routeRes('r', 'c'), res('Route', { name: 'gw-only', hosts: ['g.local'], forward: { cluster: 'c' }, listeners: ['gw'] })]);
  const streams = { a: new StreamState('a', create(NodeSchema, { id: 'a-1', service: 'a' }), 'test', snaps.current), b: new StreamState('b', create(NodeSchema, { id: 'b-1', service: 'b' }), 'test', snaps.current) };
  /** Every response until in sync, as `Kind +name/key` lines (`/key`: the certificate carries its key). */
  const drain = (s: StreamState): string[] => {
    const seen: string[] = [];
    for (let out = s.next(); out !== undefined; out = s.next()) {
      const key = (r: EncodedResource) => (r.kind === 'Certificate' && (r.resource.spec as { privateKey: string }).privateKey !== '' ? '/key' : '');
      seen.push(`${out.type} ${names(out).join(' ')}${out.resources.map(key).join('')}`);
      ack(s, out);
    }
    return seen;
  };
  for (const s of Object.values(streams)) for (const kind of KINDS) s.onRequest(req({ node: s.node, type: kind, subscribe: ['*'] }));
  assert.deepEqual(drain(streams.a), ['Certificate +gw-cert', 'Cluster +c', 'Route +r']);
  assert.deepEqual(drain(streams.b), ['Certificate +gw-cert/key', 'Cluster +c', 'Listener +gw', 'Route +r +gw-only']);

  for (const s of Object.values(streams)) s.onSnapshot(snaps.next(3, [gateway('a')]));
  assert.deepEqual(drain(streams.a), ['Certificate +gw-cert/key', 'Listener +gw', 'Route +gw-only']);
  // Make-before-break the other way: the route and the listener go before the key is withdrawn.
  assert.deepEqual(drain(streams.b), ['Route -gw-only', 'Listener -gw', 'Certificate +gw-cert']);

  // In sync, the versions b holds are the shared maps plus its differences: nothing more is sent.
  for (const s of Object.values(streams)) s.onSnapshot(snaps.next(4, [clusterRes('d')]));
  assert.deepEqual(drain(streams.b), ['Cluster +d']);
  assert.notEqual(streams.a.versionOf('Certificate', 'gw-cert'), streams.b.versionOf('Certificate', 'gw-cert'), 'the keyless form has its own version');
});
