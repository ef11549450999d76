// Scoped configuration: a sidecar whose Sidecar declaration names the hosts it calls receives the
// mesh-wide routes of those hosts, the clusters they reach (weighted ones too) and their endpoints, and
// nothing of the other services; a gateway (no declaration) still receives everything its listeners
// reference. Declaring a host later delivers it on the open stream; removing a route takes its cluster
// away from the scoped proxy. Real etcd, real gRPC and the real DiscoveryClient, whose own reference
// checks would reject a route that arrived without its cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiscoveryResponse } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { FieldErrors } from '../../proto/src/model/field-error.js';
import { checkReferences } from '../../proto/src/model/references.js';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { cluster, startProxy, startReplica, type Replica, type TestProxy } from './support/discovery-fixture.js';

let etcd: EtcdCluster;
let cp: Replica;
const proxies: TestProxy[] = [];
const inconsistent: string[] = [];

const meshRoute = (service: string, forward: Record<string, unknown>): Record<string, unknown> => ({
  kind: 'Route', name: `to-${service}`, hosts: [`${service}.mesh`], match: { pathPrefix: '/' }, forward,
});
const endpoints = (name: string, port: number): Record<string, unknown> => ({ kind: 'Endpoints', name, endpoints: [{ address: '127.0.0.2', port }] });
const declaration = (hosts: string[]): Record<string, unknown> => ({ kind: 'Sidecar', name: 'a-calls', selector: { service: 'a' }, egress: { hosts } });

before(async () => {
  etcd = await EtcdCluster.start();
  cp = await startReplica(etcd);
  const res = await cp.api.apply([
    ...['b', 'c', 'c-canary', 'd', 'e', 'spare'].map((n, i) => cluster(n, 18100 + i)),
    ...['b', 'c', 'd', 'e'].map((n, i) => endpoints(n, 19100 + i)),
    meshRoute('b', { cluster: 'b' }),
    meshRoute('c', { weighted: [{ cluster: 'c', weight: 90 }, { cluster: 'c-canary', weight: 10 }] }),
    meshRoute('d', { cluster: 'd' }),
    { kind: 'Listener', name: 'edge', address: '127.0.0.1', port: 0, selector: { service: 'gateway' } },
    { kind: 'Route', name: 'edge-e', hosts: ['shop.example.com'], listeners: ['edge'], forward: { cluster: 'e' } },
    declaration(['b.mesh', 'c.mesh']),
  ]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  for (const p of proxies) await p.stop();
  await cp?.stop();
  await etcd?.stop();
});

/** A proxy of `service`, and how many times it connected again after its first stream. */
async function connect(nodeId: string, service: string): Promise<{ proxy: TestProxy; reconnections: () => number }> {
  let reconnections = 0;
  const proxy = await startProxy([cp.address], {
    nodeId,
    node: { id: nodeId, service },
    apply: async (set: ResourceSet) => {
      const errors = new FieldErrors();
      for (const r of set.all()) checkReferences(r, set, errors);
      inconsistent.push(...errors.list.map((e) => `${nodeId}: ${e.path}: ${e.message}`));
    },
  });
  proxy.client.on('connected', () => reconnections++);
  proxies.push(proxy);
  return { proxy, reconnections: () => reconnections };
}

interface Held {
  Listener: string[];
  Route: string[];
  Cluster: string[];
  Endpoints: string[];
  Sidecar: string[];
}

function held(proxy: TestProxy): Held {
  const set = proxy.applied.at(-1)?.set;
  const names = (kind: keyof Held): string[] => (set === undefined ? [] : set.list(kind).map((r) => r.name).sort());
  return { Listener: names('Listener'), Route: names('Route'), Cluster: names('Cluster'), Endpoints: names('Endpoints'), Sidecar: names('Sidecar') };
}

async function expectHeld(proxy: TestProxy, who: string, expected: Held): Promise<void> {
  await until(() => `${who} holds ${JSON.stringify(expected)}; it holds ${JSON.stringify(held(proxy))}`, () => JSON.stringify(held(proxy)) === JSON.stringify(expected), 10_000);
}

/** The response types and names a proxy received from index `from` on: `Cluster +d`, `Route -to-b`. */
function received(proxy: TestProxy, from: number): string[] {
  const line = (r: DiscoveryResponse): string =>
    `${r.type}${r.resources.length > 0 ? ` +${r.resources.map((x) => x.name).sort().join(',')}` : ''}${r.removedResources.length > 0 ? ` -${[...r.removedResources].sort().join(',')}` : ''}`;
  return proxy.responses.slice(from).map(line);
}

const A_CALLS_B_AND_C: Held = { Listener: [], Route: ['to-b', 'to-c'], Cluster: ['b', 'c', 'c-canary'], Endpoints: ['b', 'c'], Sidecar: [] };
const GATEWAY_ALL: Held = {
  Listener: ['edge'],
  Route: ['edge-e', 'to-b', 'to-c', 'to-d'],
  Cluster: ['b', 'c', 'c-canary', 'd', 'e', 'spare'],
  Endpoints: ['b', 'c', 'd', 'e'],
  Sidecar: [],
};

test('a sidecar of a declaring it calls b and c receives their routes, clusters and endpoints only; a gateway everything its listeners reference', async () => {
  const { proxy: a } = await connect('a-1', 'a');
  const { proxy: gateway } = await connect('gateway-1', 'gateway');
  await expectHeld(a, 'a', A_CALLS_B_AND_C);
  await expectHeld(gateway, 'the gateway', GATEWAY_ALL);
  // Nothing of d or e ever crossed the wire to a, and no Sidecar resource reached either proxy.
  const toA = a.responses.flatMap((r) => r.resources.map((x) => `${r.type}/${x.name}`));
  for (const name of ['Route/to-d', 'Cluster/d', 'Endpoints/d', 'Cluster/e', 'Endpoints/e', 'Route/edge-e', 'Listener/edge', 'Cluster/spare']) {
    assert.ok(!toA.includes(name), `a received ${name}`);
  }
  for (const p of [a, gateway]) assert.ok(!p.responses.some((r) => r.type === 'Sidecar'), 'a Sidecar resource was sent');
  assert.deepEqual([...a.rejected, ...gateway.rejected], []);
  assert.deepEqual(inconsistent, []);
});

test('declaring d later delivers its cluster, endpoints and route on the open stream, in that order', async () => {
  const { proxy: a, reconnections } = await connect('a-2', 'a');
  await expectHeld(a, 'a', A_CALLS_B_AND_C);
  const from = a.responses.length;
  assert.equal((await cp.api.apply([declaration(['b.mesh', 'c.mesh', 'd.mesh'])])).status, 200);
  await expectHeld(a, 'a after declaring d', { ...A_CALLS_B_AND_C, Route: ['to-b', 'to-c', 'to-d'], Cluster: ['b', 'c', 'c-canary', 'd'], Endpoints: ['b', 'c', 'd'] });
  assert.deepEqual(received(a, from), ['Cluster +d', 'Endpoints +d', 'Route +to-d']);
  assert.equal(reconnections(), 0, 'the proxy reconnected');

  // And back: undeclaring d removes the route before its cluster.
  const back = a.responses.length;
  assert.equal((await cp.api.apply([declaration(['b.mesh', 'c.mesh'])])).status, 200);
  await expectHeld(a, 'a after undeclaring d', A_CALLS_B_AND_C);
  assert.deepEqual(received(a, back), ['Route -to-d', 'Endpoints -d', 'Cluster -d']);
  assert.deepEqual(a.rejected, []);
  assert.deepEqual(inconsistent, []);
});

test('removing a route takes its cluster and endpoints away from the scoped proxy; the gateway keeps the cluster, now used by no route', async () => {
  const { proxy: a } = await connect('a-3', 'a');
  const { proxy: gateway } = await connect('gateway-3', 'gateway');
  await expectHeld(a, 'a', A_CALLS_B_AND_C);
  await expectHeld(gateway, 'the gateway', GATEWAY_ALL);
  const from = a.responses.length;
  assert.equal((await cp.api.delete('/v1/routes/to-b')).status, 200);
  await expectHeld(a, 'a without route to-b', { ...A_CALLS_B_AND_C, Route: ['to-c'], Cluster: ['c', 'c-canary'], Endpoints: ['c'] });
  assert.deepEqual(received(a, from), ['Route -to-b', 'Endpoints -b', 'Cluster -b']);
  await expectHeld(gateway, 'the gateway without route to-b', { ...GATEWAY_ALL, Route: ['edge-e', 'to-c', 'to-d'] });
  assert.deepEqual([...a.rejected, ...gateway.rejected], []);
  assert.deepEqual(inconsistent, []);
});

test('a Sidecar with bad hosts is refused with the path of each', async () => {
  const res = await cp.api.apply([{ kind: 'Sidecar', name: 'bad', egress: { hosts: ['b..mesh', 'c.mesh', 'C.mesh'] }, selector: { service: 'Not_A_Name' } }]);
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path).sort(), ['sidecars[bad].egress.hosts[0]', 'sidecars[bad].egress.hosts[2]', 'sidecars[bad].selector.service']);
});
