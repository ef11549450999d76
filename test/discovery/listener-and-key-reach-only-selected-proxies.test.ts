// Secrets only where they belong: a Listener with a selector reaches only the proxies it picks, and a
// Certificate's private key only the proxies that serve it on a listener they receive (or present it
// as a cluster's client certificate); every other proxy gets the certificate without its key. The rule
// holds for workload credentials and for admin-token streams alike, and a selector change moves the
// listener and the key between connected proxies. Real etcd, real gRPC, the real DiscoveryClient (so
// what a proxy gets is also what it accepts: nothing may be rejected on the way).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate } from '../../proto/gen/sluice/v1/certificate_pb.js';
import type { Route } from '../../proto/gen/sluice/v1/route_pb.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { pem, TestPki } from '../support/test-pki.js';
import { until } from '../support/until.js';
import { cluster, route, startProxy, startReplica, TEST_TOKEN, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { MapAuthenticator } from './support/map-authenticator.js';

const A_TOKEN = 'bootstrap-a-51c0e7d2';
const B_TOKEN = 'bootstrap-b-9a4f3b18';
const authenticator = new MapAuthenticator(new Map([[A_TOKEN, MapAuthenticator.service('a')], [B_TOKEN, MapAuthenticator.service('b')]]));

let etcd: EtcdCluster;
let pki: TestPki;
let cp: Replica;
const proxies: TestProxy[] = [];

const gatewayB = (selector: Record<string, string>): Record<string, unknown> => ({
  kind: 'Listener', name: 'gw-b', address: '127.0.0.1', port: 0, protocol: 'HTTPS', selector,
  tls: { certificates: ['b-example'], clientCa: 'clients-ca', clientCertificate: 'REQUEST' },
});

before(async () => {
  etcd = await EtcdCluster.start();
  pki = TestPki.create();
  cp = await startReplica(etcd, { authenticator });
  const serving = pki.server('b.example.com');
  const other = pki.server('ca-holder');
  const res = await cp.api.apply([
    { kind: 'Certificate', name: 'b-example', certChain: pem(serving.cert), privateKey: pem(serving.key), sniNames: ['b.example.com'] },
    // A full certificate used only as a client CA: its chain and bundle verify, its key serves nothing.
    { kind: 'Certificate', name: 'clients-ca', certChain: pem(other.cert), privateKey: pem(other.key), caBundle: pem(pki.ca), sniNames: ['ca-holder'] },
    cluster('b-backend'),
    gatewayB({ service: 'b' }),
    { kind: 'Listener', name: 'plain', address: '127.0.0.1', port: 0 },
    route('to-b', 'b-backend', { listeners: ['gw-b'] }),
    route('both', 'b-backend', { listeners: ['gw-b', 'plain'] }),
  ]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  for (const p of proxies) await p.stop();
  await cp?.stop();
  await etcd?.stop();
  pki?.dispose();
});

async function connect(nodeId: string, service: string, token: string): Promise<TestProxy> {
  const proxy = await startProxy([cp.address], { nodeId, token, node: { id: nodeId, service } });
  proxies.push(proxy);
  return proxy;
}

/** What a proxy applied last: the listeners, the certificates whose key it holds, and the routes' listeners. */
function view(proxy: TestProxy): { listeners: string[]; keys: string[]; routes: Record<string, string[]> } {
  const set = proxy.applied.at(-1)?.set;
  if (set === undefined) return { listeners: [], keys: [], routes: {} };
  return {
    listeners: set.list('Listener').map((l) => l.name).sort(),
    keys: set.list('Certificate').filter((c: Certificate) => c.privateKey !== '').map((c) => c.name).sort(),
    routes: Object.fromEntries(set.list('Route').map((r: Route) => [r.name, [...r.listeners]])),
  };
}

async function expectView(proxy: TestProxy, who: string, expected: ReturnType<typeof view>): Promise<void> {
  await until(() => `${who} holds ${JSON.stringify(expected)}; it holds ${JSON.stringify(view(proxy))}`, () => {
    try {
      assert.deepEqual(view(proxy), expected);
      return true;
    } catch {
      return false;
    }
  }, 10_000);
}

const SERVES_B = { listeners: ['gw-b', 'plain'], keys: ['b-example'], routes: { 'to-b': ['gw-b'], both: ['gw-b', 'plain'] } };
const SERVES_NOTHING_OF_B = { listeners: ['plain'], keys: [], routes: { both: ['plain'] } };

test('a stream as a gets neither gw-b nor its key; the stream as b gets both; the client CA is keyless everywhere', async () => {
  const a = await connect('a-1', 'a', A_TOKEN);
  const b = await connect('b-1', 'b', B_TOKEN);
  await expectView(a, 'a', SERVES_NOTHING_OF_B);
  await expectView(b, 'b', SERVES_B);
  for (const [who, proxy] of [['a', a], ['b', b]] as const) {
    const certs = proxy.applied.at(-1)!.set;
    const ca = certs.get('Certificate', 'clients-ca')!;
    assert.equal(ca.privateKey, '', `${who} got the client CA's key`);
    assert.match(ca.caBundle, /BEGIN CERTIFICATE/, `${who} can verify client certificates`);
    assert.match(ca.certChain, /BEGIN CERTIFICATE/);
    assert.match(certs.get('Certificate', 'b-example')!.certChain, /BEGIN CERTIFICATE/, `${who} keeps the chain`);
    // The key never crossed the wire to a: not in any response it received.
    if (who === 'a') {
      const received = proxy.responses.flatMap((r) => r.resources).filter((w) => w.body.case === 'certificate');
      assert.ok(received.length > 0);
      for (const w of received) assert.equal((w.body.value as Certificate).privateKey, '', `a received the key of ${w.name}`);
    }
    assert.deepEqual(proxy.rejected, [], `${who} rejected nothing`);
  }
});

test('admin-token streams follow the same rule by node', async () => {
  const asB = await connect('admin-b', 'b', TEST_TOKEN);
  const other = await connect('admin-other', 'other', TEST_TOKEN);
  await expectView(asB, 'an admin-token stream of service b', SERVES_B);
  await expectView(other, 'an admin-token stream of service other', SERVES_NOTHING_OF_B);
});

test('changing the selector moves the listener, its routes and the key between connected streams', async () => {
  const a = await connect('a-2', 'a', A_TOKEN);
  const b = await connect('b-2', 'b', B_TOKEN);
  await expectView(a, 'a', SERVES_NOTHING_OF_B);
  await expectView(b, 'b', SERVES_B);

  assert.equal((await cp.api.apply([gatewayB({ service: 'a' })])).status, 200);
  await expectView(a, 'a after the move', SERVES_B);
  await expectView(b, 'b after the move', SERVES_NOTHING_OF_B);

  // An empty selector picks every proxy: both serve it and hold its key.
  assert.equal((await cp.api.apply([gatewayB({})])).status, 200);
  await expectView(a, 'a with an empty selector', SERVES_B);
  await expectView(b, 'b with an empty selector', SERVES_B);
  for (const p of [a, b]) assert.deepEqual(p.rejected, [], 'nothing rejected on the way');
});
