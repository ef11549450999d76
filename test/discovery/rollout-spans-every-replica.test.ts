// Two control-plane replicas on one etcd, proxies split between them: GET /v1/rollout and
// `ctl rollout --wait` asked of replica A count replica B's proxies too, a NACK on B is named with its
// error, `ctl proxy-status` lists every proxy with its replica, and a SIGKILLed B's records leave etcd
// with its lease. A is a ControlPlane in this process, B a real `sluice control-plane` process, the
// proxies real DiscoveryClients over gRPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, CtlError } from '../../control-plane/src/cli/ctl/api-client.js';
import { runCtlRollout } from '../../control-plane/src/cli/ctl/ctl-rollout.js';
import { FLEET_STATUS_PREFIX } from '../../control-plane/src/store/keys.js';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { stopChild } from '../support/process-guard.js';
import { runSluice } from '../support/run-sluice.js';
import { startInProcessReplica, startProcessReplica } from '../support/replicas-on-etcd.js';
import { until } from '../support/until.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { cluster, route, startProxy, TEST_TOKEN, type TestProxy } from './support/discovery-fixture.js';

const TTL_SECONDS = 2;

interface Listed {
  revision: number;
  total: number;
  proxies: Array<{ nodeId: string; replica: string; state: string; ackedRevision: number; rejected: Array<{ error: string }> }>;
  continue?: string;
}

test('rollout, proxy-status and paging answer for every replica; a killed replica\'s records expire', { timeout: 90_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());
  const b = await startProcessReplica(etcd, cleanup, { token: TEST_TOKEN, leaseTtlSeconds: TTL_SECONDS });
  const a = await startInProcessReplica(etcd, cleanup, { token: TEST_TOKEN, leaseTtlSeconds: TTL_SECONDS, replicaId: 'replica-a' });
  await b.ready(20_000);
  const apiA = a.apiUrl;
  const clientA = new ApiClient(apiA, TEST_TOKEN);
  const list = async (query = ''): Promise<Listed> => (await clientA.call('GET', `/v1/proxies${query}`)) as Listed;
  const apply = async (resources: unknown[]): Promise<number> => ((await clientA.call('POST', '/v1/apply', { body: JSON.stringify({ resources }), contentType: 'application/json' })) as { revision: number }).revision;
  await apply([cluster('web')]);

  // b-1 ACKs the route `slow` only after a pause: a rollout that did not wait for B's proxies would
  // return before b-1 holds it. b-2 refuses routes of priority 13.
  const slowAck = async (set: ResourceSet): Promise<void> => {
    if (set.list('Route').some((r) => r.name === 'slow')) await new Promise((r) => setTimeout(r, 1500));
  };
  const refuse13 = async (set: ResourceSet): Promise<void> => {
    if (set.list('Route').some((r) => r.priority === 13)) throw new Error('priority 13 is not supported');
  };
  const addressA = a.discovery!.address;
  const addressB = b.discoveryAddress;
  const proxies: Record<string, TestProxy> = {};
  proxies['a-1'] = await startProxy([addressA], { nodeId: 'a-1' });
  proxies['a-2'] = await startProxy([addressA], { nodeId: 'a-2' });
  // b-1 may fail over to A: put B first so that it starts there (the client starts at a random address).
  const random = Math.random;
  Math.random = () => 0;
  const b1 = startProxy([addressB, addressA], { nodeId: 'b-1', apply: slowAck });
  Math.random = random;
  proxies['b-1'] = await b1;
  proxies['b-2'] = await startProxy([addressB], { nodeId: 'b-2', apply: refuse13 });
  for (const p of Object.values(proxies)) cleanup(() => p.stop());
  await until('every proxy has the cluster', () => Object.values(proxies).every((p) => p.client.current.has('Cluster', 'web')), 10_000);

  const byReplica = await until('A lists B\'s proxies too', async () => {
    const l = await list();
    return l.total === 4 ? l : undefined;
  }, 10_000);
  const replicaB = byReplica.proxies.find((p) => p.nodeId === 'b-1')!.replica;
  assert.notEqual(replicaB, 'replica-a');
  assert.deepEqual(byReplica.proxies.map((p) => [p.nodeId, p.replica === 'replica-a' ? 'A' : p.replica === replicaB ? 'B' : p.replica]), [['a-1', 'A'], ['a-2', 'A'], ['b-1', 'B'], ['b-2', 'B']]);

  await t.test('rollout --wait against A returns once B\'s proxies ACKed too', async () => {
    const applied = await apply([route('slow', 'web')]);
    const started = Date.now();
    const out = await runCtlRollout(clientA, { wait: true, timeoutMs: 20_000, pollMs: 50 });
    const waitedMs = Date.now() - started;
    assert.match(out, /^revision (\d+): 4 proxies connected, 4 at, 0 behind, 0 rejecting$/);
    assert.ok(Number(/^revision (\d+)/.exec(out)![1]) >= applied);
    assert.ok(proxies['b-1']!.client.current.has('Route', 'slow'), 'b-1 (on replica B) holds the route when the rollout returns');
    assert.ok(waitedMs >= 1400, `waited ${waitedMs} ms for b-1's slow ACK`);
    t.diagnostic(`rollout --wait against A returned after ${waitedMs} ms (b-1 on B ACKs after 1,500 ms)`);
  });

  await t.test('a proxy on B that NACKs is named with its error, in rollout and in ctl proxy-status', async () => {
    await apply([route('bad', 'web', { priority: 13 })]);
    await assert.rejects(runCtlRollout(clientA, { wait: true, timeoutMs: 20_000, pollMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof CtlError);
      assert.match(err.message, /1 of 4 proxies rejected revision \d+/);
      assert.match(err.format(), new RegExp(`b-2 \\(127\\.0\\.0\\.1:\\d+ via ${replicaB}\\).*priority 13 is not supported`));
      return true;
    });
    // The wait failed at the first NACK; the other proxies' records reach A within a publish interval.
    await until('3 at, 1 rejecting', async () => {
      const r = (await clientA.call('GET', '/v1/rollout')) as { at: number; rejecting: number };
      return r.at === 3 && r.rejecting === 1 ? true : undefined;
    }, 10_000);
    // A revision written meanwhile (a health entry) would show B's proxies STALE for a publish interval.
    const status = await until('proxy-status settled', async () => {
      const run = await runSluice(['ctl', '--server', apiA, '--token', TEST_TOKEN, 'proxy-status']);
      assert.equal(run.code, 0, run.stderr);
      return run.stdout.includes('3 synced, 0 stale, 1 nack') ? run : undefined;
    }, 10_000);
    const lines = status.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NODE\s+SERVICE\s+ZONE\s+REPLICA\s+STATE\s+REVISION\s+LAST ACK\s+ERROR$/);
    assert.match(lines[1]!, /^a-1\s+test\s+-\s+replica-a\s+SYNCED\s+\d+\s+\d+s ago$/);
    assert.match(lines[3]!, new RegExp(`^b-1\\s+test\\s+-\\s+${replicaB}\\s+SYNCED\\s+\\d+\\s+\\d+s ago$`));
    assert.match(lines[4]!, new RegExp(`^b-2\\s+test\\s+-\\s+${replicaB}\\s+NACK\\s+\\d+\\s+\\d+s ago\\s+Route/bad \\(revision \\d+\\): .*priority 13 is not supported`));
    assert.match(lines[5]!, /^4 proxies at revision \d+: 3 synced, 0 stale, 1 nack$/);
    const nack = await runSluice(['ctl', '--server', apiA, '--token', TEST_TOKEN, 'proxy-status', '--state', 'nack', '-o', 'json']);
    assert.deepEqual((JSON.parse(nack.stdout) as Listed).proxies.map((p) => p.nodeId), ['b-2']);
    // Fixed: b-2 runs the fix, and the fleet is whole again.
    await apply([route('bad', 'web', { priority: 3 })]);
    assert.match(await runCtlRollout(clientA, { wait: true, timeoutMs: 20_000, pollMs: 50 }), /4 at, 0 behind, 0 rejecting$/);
  });

  await t.test('GET /v1/proxies pages and filters the whole fleet', async () => {
    const seen: string[] = [];
    let page = await list('?limit=3');
    seen.push(...page.proxies.map((p) => p.nodeId));
    assert.equal(page.proxies.length, 3);
    assert.ok(page.continue !== undefined);
    page = await list(`?limit=3&continue=${page.continue}`);
    seen.push(...page.proxies.map((p) => p.nodeId));
    assert.equal(page.continue, undefined);
    assert.deepEqual(seen, ['a-1', 'a-2', 'b-1', 'b-2']);
    assert.deepEqual((await list(`?replica=${replicaB}`)).proxies.map((p) => p.nodeId), ['b-1', 'b-2']);
    assert.equal((await list('?service=nope')).total, 0);
    const bad = await fetch(`${apiA}/v1/proxies?state=bogus&limit=0`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { details?: { errors?: Array<{ path: string }> } }; errors?: Array<{ path: string }> };
    const paths = (body.errors ?? body.error.details?.errors ?? []).map((e) => e.path).sort();
    assert.deepEqual(paths, ['limit', 'state'], JSON.stringify(body));
  });

  await t.test('B SIGKILLed: its proxy that fails over is counted once, and B\'s records leave etcd with its lease', async () => {
    const keysOfB = async (): Promise<string[]> => (await etcdctl(etcd.endpoints, 'get', FLEET_STATUS_PREFIX, '--prefix', '--keys-only')).split('\n').filter((k) => k.includes(`/${replicaB}`));
    assert.ok((await keysOfB()).length >= 2, 'B had published its cards and its sync line');
    const killedAt = Date.now();
    await stopChild(b.process.child, 0, 'SIGKILL');
    await until('b-1 reconnected to A', async () => ((await list('?node=b-1')).proxies.some((p) => p.replica === 'replica-a') ? true : undefined), 10_000);
    // Counted once even while B's record of its old connection may still be in etcd.
    assert.equal((await list('?node=b-1')).total, 1);
    await until('B\'s records gone from etcd', async () => ((await keysOfB()).length === 0 ? true : undefined), (TTL_SECONDS + 10) * 1000);
    const goneMs = Date.now() - killedAt;
    const after = await list();
    assert.deepEqual(after.proxies.map((p) => [p.nodeId, p.replica]), [['a-1', 'replica-a'], ['a-2', 'replica-a'], ['b-1', 'replica-a']]);
    assert.match(await runCtlRollout(clientA, { wait: true, timeoutMs: 10_000, pollMs: 50 }), /3 proxies connected, 3 at, 0 behind, 0 rejecting$/);
    t.diagnostic(`B SIGKILLed: its records left etcd after ${goneMs} ms (lease TTL ${TTL_SECONDS} s)`);
    assert.ok(goneMs <= TTL_SECONDS * 1000 + 5000, `records gone after ${goneMs} ms`);
  });
});
