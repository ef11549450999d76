// Two control-plane replicas started at the same moment on one etcd, each finding no CA: exactly one
// root is created (one create-if-absent transaction wins, the other replica reads the winner's), and
// a certificate either replica signs verifies with the bundle the other serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupStack } from '../support/cleanup-stack.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { certificates, createToken, issue, startIdentityApi } from './support/identity-fixture.js';

test('two replicas starting at once on an empty etcd agree on one root', async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start();
  cleanup(() => etcd.stop());
  const store = { kind: 'etcd', endpoints: etcd.endpoints } as const;
  const [a, b] = await Promise.all([startIdentityApi(store), startIdentityApi(store)]);
  cleanup(() => a.stop());
  cleanup(() => b.stop());
  const bundleA = (await a.get('/v1/trust-bundle')).body;
  const bundleB = (await b.get('/v1/trust-bundle')).body;
  assert.equal(bundleA.roots.length, 1);
  assert.deepEqual(bundleB.roots, bundleA.roots);
  // etcd's history of the CA key: created once, never overwritten.
  const versions = JSON.parse(await etcdctl(etcd.endpoints, 'get', '/sluice/identity/ca', '-w', 'json')).kvs;
  assert.equal(versions.length, 1);
  assert.equal(versions[0].version, 1, 'the CA key was written once');
  // Only one of the two replicas logged a creation.
  const created = [...a.logs, ...b.logs].filter((l) => l.includes('mesh CA: created a new root'));
  assert.equal(created.length, 1, created.join(''));

  const token = await createToken(a, 'web');
  const fromB = await issue(b, token);
  const [leaf] = certificates(fromB.certChainPem);
  const [rootA] = certificates(bundleA.pem);
  assert.ok(leaf!.verify(rootA!.publicKey), "a certificate from replica b verifies with replica a's root");
});

test('create-if-absent on etcd: the second writer gets the first one\'s value, not its own', async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start();
  cleanup(() => etcd.stop());
  const one = new EtcdStore({ endpoints: etcd.endpoints });
  const two = new EtcdStore({ endpoints: etcd.endpoints });
  cleanup(() => one.close());
  cleanup(() => two.close());
  const first = await one.keyValues().createIfAbsent('/sluice/identity/race', 'first');
  const second = await two.keyValues().createIfAbsent('/sluice/identity/race', 'second');
  assert.deepEqual([first.created, first.value], [true, 'first']);
  assert.deepEqual([second.created, second.value, second.revision], [false, 'first', first.revision]);
});
