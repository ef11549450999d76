// A replica's health entries live under its lease: when the replica is SIGKILLed they expire within the
// TTL, and the proxy that fails over re-sends its full view to the next replica, which writes its own
// entry. Replica A is a real `sluice control-plane` process, replica B one in this process, both on
// one real etcd; the proxy is a real DiscoveryClient over gRPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { DiscoveryClient } from '../../data-plane/src/discovery/discovery-client.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { stopChild } from '../support/process-guard.js';
import { startInProcessReplica, startProcessReplica } from '../support/replicas-on-etcd.js';
import { until } from '../support/until.js';
import { cleanupStack } from '../support/cleanup-stack.js';

const TOKEN = 'replica-killed-token-0123456789';
const TTL_SECONDS = 2;


test('a killed replica\'s entries expire within the lease TTL; the next replica re-creates them', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());
  const a = await startProcessReplica(etcd, cleanup, { token: TOKEN, leaseTtlSeconds: TTL_SECONDS });
  const b = await startInProcessReplica(etcd, cleanup, { token: TOKEN, leaseTtlSeconds: TTL_SECONDS, replicaId: 'replica-b' });
  await a.ready();

  // The client starts at a random address: put A first so that it connects there first.
  const random = Math.random;
  Math.random = () => 0;
  const client = new DiscoveryClient({ addresses: [a.discoveryAddress, b.discovery!.address], node: { id: 'p1' }, token: TOKEN, apply: async () => undefined, backoff: { initialMs: 50, maxMs: 200 } });
  Math.random = random;
  cleanup(() => client.stop());
  await client.start();
  client.reportHealth([{ cluster: 'web', address: '10.0.0.9', port: 80, health: Health.UNHEALTHY, reason: 'test' }]);

  const entries = () => b.health.view.allEntries().filter((e) => e.cluster === 'web');
  const fromA = await until('replica A\'s entry, seen by replica B', () => entries().find((e) => e.source !== 'replica-b'));
  assert.equal(fromA.health, Health.UNHEALTHY);
  assert.equal(entries().length, 1, 'only A has a reporter');

  const killedAt = Date.now();
  await stopChild(a.process.child, 0, 'SIGKILL');
  // B re-creates the verdict from the failed-over proxy's full view, well before A's entry expires.
  const fromB = await until('replica B\'s own entry', () => entries().find((e) => e.source === 'replica-b'));
  const recreatedMs = Date.now() - killedAt;
  assert.equal(fromB.health, Health.UNHEALTHY);
  await until('A\'s entry expired', () => (entries().some((e) => e.source === fromA.source) ? undefined : true), (TTL_SECONDS + 10) * 1000);
  const expiredMs = Date.now() - killedAt;
  t.diagnostic(`replica SIGKILLed: B wrote its entry after ${recreatedMs} ms; A's entry expired after ${expiredMs} ms (TTL ${TTL_SECONDS} s)`);
  assert.ok(expiredMs <= TTL_SECONDS * 1000 + 4000, `expired after ${expiredMs} ms`);
  // The effective health never changed: both verdicts agreed throughout.
  assert.equal(b.health.view.effectiveHealth('web').get('10.0.0.9:80'), Health.UNHEALTHY);
});
