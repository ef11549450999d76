// The checker's verdict lives under the health lease of the replica that wrote it. When that
// leader is SIGKILLed, the new leader keeps checking the endpoint and still finds it UNHEALTHY; the
// verdict must stay in etcd after the old replica's lease expires (the new leader vouches for it), not
// vanish and leave the endpoint without its verdict. Replica A is a real `sluice control-plane`
// process (so it can be SIGKILLed), replica B one in this process, both on one real etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { cleanupStack } from '../support/cleanup-stack.js';

const TOKEN = 'checker-handover-token';
const HEALTH_TTL_SECONDS = 5;
const LEADER_TTL_SECONDS = 2;


test('the old leader is SIGKILLed: the checker\'s verdict outlives its lease under the new leader', { timeout: 90_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());
  const apiA = await freePort();
  const a = new SluiceProcess([
    'control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiA}`, '--discovery-listen', '127.0.0.1:0',
    '--lease-ttl-seconds', String(HEALTH_TTL_SECONDS), '--leader-lease-ttl-seconds', String(LEADER_TTL_SECONDS),
  ], { SLUICE_TOKEN: TOKEN });
  cleanup(() => stopChild(a.child, 0, 'SIGKILL'));
  await a.waitFor(/"msg":"control plane ready"/, 20_000);
  const leaderA = await until('A leads', async () => (await etcdctl(etcd.endpoints, 'get', '/sluice/leader/health-checker', '--print-value-only')).trim() || undefined, 10_000);

  const b = new ControlPlane({
    etcdEndpoints: etcd.endpoints, token: TOKEN, apiListen: { host: '127.0.0.1', port: 0 }, log: createLogger({ level: 'error' }),
    health: { replicaId: 'replica-b', leaseTtlSeconds: HEALTH_TTL_SECONDS, leaderLeaseTtlSeconds: LEADER_TTL_SECONDS },
  });
  await b.start();
  cleanup(() => b.stop());

  const port = await freePort(); // nothing listens: the endpoint stays UNHEALTHY throughout
  const res = await fetch(`http://127.0.0.1:${apiA}/v1/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resources: [{
      kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port }],
      healthCheck: { tcp: {}, intervalMs: 100, timeoutMs: 80, unhealthyThreshold: 2, healthyThreshold: 2 },
    }] }),
  });
  assert.equal(res.status, 200, await res.text());
  const checkerEntry = () => b.health.view.allEntries().find((e) => e.cluster === 'web' && e.source === 'checker');
  const fromA = await until('A\'s checker verdict', async () => checkerEntry(), 10_000);
  assert.equal(fromA.health, Health.UNHEALTHY);
  assert.equal(fromA.replica, leaderA);

  const killedAt = Date.now();
  await stopChild(a.child, 0, 'SIGKILL');
  await until('B leads', async () => (b.health.leaderChecks?.election.fence !== undefined ? true : undefined), (LEADER_TTL_SECONDS + 10) * 1000);
  // Well past the moment A's health lease expired (HEALTH_TTL after the kill).
  const wait = killedAt + (HEALTH_TTL_SECONDS + 4) * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const now = checkerEntry();
  t.diagnostic(`${Date.now() - killedAt} ms after the kill: ${now === undefined ? 'no checker entry' : `${Health[now.health]} by ${now.replica}`}`);
  assert.ok(now !== undefined, 'the new leader still vouches for the endpoint: its verdict is in etcd');
  assert.equal(now.health, Health.UNHEALTHY);
  assert.equal(b.health.view.effectiveHealth('web').get(`127.0.0.1:${port}`), Health.UNHEALTHY);
});
