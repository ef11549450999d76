// A root rotation with `sluice ctl ca` against one replica while another replica issues certificates,
// both on one real etcd: after add-root the bundle holds both roots and the old one still signs; after
// use-root the new one signs; after remove-root the bundle holds the new one only. The root that signs
// cannot be removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupStack } from '../support/cleanup-stack.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { TEST_TOKEN } from '../support/api-harness.js';
import { runSluice } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { certificates, createToken, issue, startIdentityApi } from './support/identity-fixture.js';

test('add a root, sign with it, remove the old one: each replica follows each step', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start();
  cleanup(() => etcd.stop());
  const store = { kind: 'etcd', endpoints: etcd.endpoints } as const;
  const operated = await startIdentityApi(store);
  cleanup(() => operated.stop());
  const issuing = await startIdentityApi(store);
  cleanup(() => issuing.stop());
  const ctl = (...args: string[]) => runSluice(['ctl', '--server', operated.url, '--token', TEST_TOKEN, 'ca', ...args]);
  const token = await createToken(issuing, 'web');

  const [oldRoot] = certificates((await issue(issuing, token)).trustBundlePem);
  const oldSerial = oldRoot!.serialNumber.toLowerCase();

  const added = await ctl('add-root');
  assert.equal(added.code, 0, added.stderr);
  const rows = added.stdout.trim().split('\n').slice(1);
  assert.equal(rows.length, 2, added.stdout);
  assert.match(rows.find((r) => r.startsWith(oldSerial))!, /^\S+\s+yes\s/, 'the old root still signs');
  const newSerial = rows.find((r) => !r.startsWith(oldSerial))!.split(/\s+/)[0]!;

  const during = await issue(issuing, token);
  const bundle = certificates(during.trustBundlePem);
  assert.deepEqual(bundle.map((c) => c.serialNumber.toLowerCase()).sort(), [oldSerial, newSerial].sort(), 'the bundle holds both roots');
  const newRoot = bundle.find((c) => c.serialNumber.toLowerCase() === newSerial)!;
  assert.ok(certificates(during.certChainPem)[0]!.verify(oldRoot!.publicKey), 'signed by the old root');

  // `ca bundle` prints the PEM proxies verify the discovery port with: both roots now.
  const pem = await ctl('bundle');
  assert.equal(pem.code, 0, pem.stderr);
  assert.deepEqual(certificates(pem.stdout).map((c) => c.serialNumber.toLowerCase()).sort(), [oldSerial, newSerial].sort());

  // Each replica's own probe certificate (for health checks of STRICT sidecars) follows the bundle.
  for (const replica of [operated, issuing]) {
    await until('the control plane re-issued its probe certificate with both roots', () => {
      const held = replica.controlPlane.identity.certificate.current;
      return held !== undefined && held.spiffeId === 'spiffe://sluice.local/control-plane' && certificates(held.trustBundlePem).length === 2;
    }, 20_000);
  }

  const switched = await ctl('use-root', newSerial);
  assert.equal(switched.code, 0, switched.stderr);
  const after = certificates((await issue(issuing, token)).certChainPem)[0]!;
  assert.ok(after.verify(newRoot.publicKey) && !after.verify(oldRoot!.publicKey), 'signed by the new root');

  const refused = await ctl('remove-root', newSerial);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /409 SLUICE_CONFLICT: root \S+ signs workload certificates/);

  const removed = await ctl('remove-root', oldSerial);
  assert.equal(removed.code, 0, removed.stderr);
  const finalBundle = (await issuing.get('/v1/trust-bundle')).body;
  assert.deepEqual(finalBundle.roots.map((r: { serial: string; signing: boolean }) => [r.serial.toLowerCase(), r.signing]), [[newSerial, true]]);
  const last = await issue(issuing, token);
  assert.deepEqual(certificates(last.trustBundlePem).map((c) => c.serialNumber.toLowerCase()), [newSerial]);
});
