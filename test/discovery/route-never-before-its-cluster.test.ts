// Make-before-break: a route never arrives before the cluster it needs, the route waits for the
// cluster's ACK, and removals go the other way (routes before the clusters they used).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveryResponse } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { FieldErrors } from '../../proto/src/model/field-error.js';
import { checkReferences } from '../../proto/src/model/references.js';
import { specFromJson } from '../../proto/src/model/resource-json.js';
import type { Kind } from '../../proto/src/model/kinds.js';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import type { WriteOp } from '../../control-plane/src/store/store.js';
import { cluster, RawStream, route, sleep, startMesh, startProxy, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
let proxy: TestProxy;
const inconsistent: string[] = [];

/** Every configuration the proxy is handed must have all its references. */
async function checkConsistent(set: ResourceSet): Promise<void> {
  const errors = new FieldErrors();
  for (const r of set.all()) checkReferences(r, set, errors);
  inconsistent.push(...errors.list.map((e) => `${e.path}: ${e.message}`));
}

const put = (doc: Record<string, unknown>): WriteOp => {
  const { kind, ...spec } = doc;
  return { op: 'put', resource: specFromJson(kind as Kind, spec) };
};

async function commit(ops: WriteOp[]): Promise<void> {
  await cp.store.commit(ops, await cp.store.revision());
}

const summary = (r: DiscoveryResponse): string =>
  `${r.type}${r.resources.length > 0 ? ` +${r.resources.map((x) => x.name).sort().join(',')}` : ''}${r.removedResources.length > 0 ? ` -${[...r.removedResources].sort().join(',')}` : ''}`;

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  await cp.api.apply([cluster('old')]);
  proxy = await startProxy([cp.address], { nodeId: 'order-1', apply: checkConsistent });
  await until('initial configuration', () => proxy.client.current.has('Cluster', 'old'), 8_000);
});

after(async () => {
  await proxy?.stop();
  await mesh?.stop();
});

test('a route and its new cluster in one write: the route is sent only after the cluster is ACKed', async () => {
  const stream = new RawStream(cp.address);
  try {
    stream.send({ node: { id: 'order-raw' }, type: 'Cluster', subscribe: ['*'] });
    stream.send({ type: 'Route', subscribe: ['*'] });
    stream.ack(await stream.response(0));
    await cp.api.apply([route('shop', 'fresh'), cluster('fresh')]);
    const first = await stream.response(1);
    assert.equal(summary(first), 'Cluster +fresh');
    await sleep(300);
    assert.equal(stream.responses.length, 2, 'the route waits for the ACK of the cluster');
    stream.ack(first);
    assert.equal(summary(await stream.response(2)), 'Route +shop');
  } finally {
    stream.close();
  }
  await until('the real proxy has the route', () => proxy.client.current.has('Route', 'shop'), 8_000);
  assert.deepEqual(inconsistent, []);
  assert.deepEqual(proxy.rejected, []);
});

test('moving a route to a new cluster and deleting the old one in one transaction: add, switch, then remove', async () => {
  const seen: string[] = [];
  const onResponse = (r: DiscoveryResponse): number => seen.push(summary(r));
  proxy.client.on('response', onResponse);
  try {
    await commit([put(route('shop', 'newer')), put(cluster('newer')), { op: 'delete', kind: 'Cluster', name: 'old' }]);
    await until('the old cluster is gone from the proxy', () => !proxy.client.current.has('Cluster', 'old'), 8_000);
    assert.deepEqual(seen, ['Cluster +newer', 'Route +shop', 'Cluster -old']);
    const action = proxy.client.current.get('Route', 'shop')?.action;
    assert.equal(action?.case === 'forward' ? action.value.cluster : undefined, 'newer');
  } finally {
    proxy.client.off('response', onResponse);
  }
  assert.deepEqual(inconsistent, []);
  assert.deepEqual(proxy.rejected, []);
});

test('deleting a route and its cluster in one transaction removes the route first', async () => {
  const seen: string[] = [];
  const onResponse = (r: DiscoveryResponse): number => seen.push(summary(r));
  proxy.client.on('response', onResponse);
  try {
    await commit([{ op: 'delete', kind: 'Cluster', name: 'newer' }, { op: 'delete', kind: 'Route', name: 'shop' }]);
    await until('the cluster is gone from the proxy', () => !proxy.client.current.has('Cluster', 'newer'), 8_000);
    assert.deepEqual(seen, ['Route -shop', 'Cluster -newer']);
  } finally {
    proxy.client.off('response', onResponse);
  }
  assert.deepEqual(inconsistent, []);
  assert.deepEqual(proxy.rejected, []);
});
