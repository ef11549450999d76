// The number of health writes to etcd equals the number of transitions. A control
// plane on a real etcd; three real discovery clients (DiscoveryClient over gRPC, as the proxies use it)
// send many repeated identical reports; an `etcdctl watch` started by the test counts every put under
// /sluice/health/. Only a change of the majority verdict writes; the verdict reaches the proxies' Endpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HealthReportSchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { DiscoveryClient } from '../../data-plane/src/discovery/discovery-client.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctlWatch } from '../support/etcdctl.js';
import { until } from '../support/until.js';

const TOKEN = 'health-writes-token-0123456789';


/** `etcdctl watch --prefix`: counts PUT and DELETE events as they arrive. */
function watchPuts(endpoints: readonly string[], prefix: string): { puts: () => number; deletes: () => number; output: () => string; stop: () => Promise<void>; started: Promise<void> } {
  const watch = etcdctlWatch(endpoints, prefix);
  const lines = (): string[] => watch.output().split('\n');
  return {
    puts: () => lines().filter((l) => l === 'PUT').length,
    deletes: () => lines().filter((l) => l === 'DELETE').length,
    output: watch.output,
    stop: watch.stop,
    // etcdctl prints nothing until an event: give it a moment to open the watch.
    started: new Promise((r) => setTimeout(r, 1000)),
  };
}

test('3 proxies × repeated identical reports: one etcd write per change of the majority verdict', { timeout: 60_000 }, async (t) => {
  // node:test runs after-hooks in the order they were added: clean up in reverse, etcd last.
  const cleanups: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const etcd = await EtcdCluster.start(1);
  cleanups.push(() => etcd.stop());
  const cp = new ControlPlane({
    store: new EtcdStore({ endpoints: etcd.endpoints }),
    token: TOKEN,
    apiListen: { host: '127.0.0.1', port: 0 },
    discoveryListen: { host: '127.0.0.1', port: 0 },
    log: createLogger({ level: 'warn' }),
    health: { replicaId: 'replica-a' },
  });
  await cp.start();
  cleanups.push(() => cp.stop());
  // A cluster with the endpoint inline: the verdict reaches proxies as an Endpoints resource.
  const put = await fetch(`${cp.apiUrl}/v1/clusters/web`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'Cluster', name: 'web', endpoints: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }] }),
  });
  assert.ok(put.status < 300, await put.text());

  const watch = watchPuts(etcd.endpoints, '/sluice/health/');
  cleanups.push(() => watch.stop());
  await watch.started;

  const clients = ['p1', 'p2', 'p3'].map((id) => new DiscoveryClient({ addresses: [cp.discovery!.address], node: { id }, token: TOKEN, apply: async () => undefined }));
  cleanups.push(() => Promise.all(clients.map((c) => c.stop())));
  for (const c of clients) await c.start();
  await until('3 proxies connected', () => (cp.discovery!.registry.size === 3 ? true : undefined));

  const report = (health: Health): MessageInitShape<typeof HealthReportSchema>[] => [{ cluster: 'web', address: '10.0.0.1', port: 80, health, reason: 'test' }];
  const verdict = (): Health | undefined => cp.health.aggregator.verdicts().get('web/10.0.0.1:80');
  let expectedWrites = 0;
  /** Each client in `who` sends `times` identical reports; `changes`: whether the majority changes. */
  const send = async (who: number[], health: Health, times: number, expected: Health, changes: boolean): Promise<void> => {
    for (let i = 0; i < times; i++) for (const w of who) clients[w]!.reportHealth(report(health));
    if (changes) expectedWrites++;
    await until(`verdict ${Health[expected]}`, () => (verdict() === expected ? true : undefined));
    await until(`${expectedWrites} puts`, () => (watch.puts() >= expectedWrites ? true : undefined));
    await new Promise((r) => setTimeout(r, 300)); // a stray write would show up by now
    assert.equal(watch.puts(), expectedWrites, `puts after ${Health[health]} × ${times} from ${who.map((w) => `p${w + 1}`)}:\n${watch.output()}`);
  };

  await send([0, 1, 2], Health.HEALTHY, 20, Health.HEALTHY, true); // nothing → HEALTHY
  await send([0], Health.UNHEALTHY, 20, Health.HEALTHY, false); // 1 of 3 unhealthy: still HEALTHY
  await send([1], Health.UNHEALTHY, 20, Health.UNHEALTHY, true); // 2 of 3: UNHEALTHY
  await send([2], Health.UNHEALTHY, 20, Health.UNHEALTHY, false); // 3 of 3: no change
  await send([0], Health.HEALTHY, 20, Health.UNHEALTHY, false); // 1 of 3 healthy
  await send([1], Health.HEALTHY, 20, Health.HEALTHY, true); // 2 of 3: HEALTHY again

  // The metric of transitions counts the same changes.
  const metrics = await (await fetch(`${cp.apiUrl}/metrics`)).text();
  const transitions = [...metrics.matchAll(/^sluice_health_transitions_total\{health="\w+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(transitions, expectedWrites, metrics.split('\n').filter((l) => l.startsWith('sluice_health')).join('\n'));
  t.diagnostic(`60 reports per proxy phase, 6 phases: ${watch.puts()} etcd puts, ${transitions} transitions`);

  // The entry in etcd is readable JSON, and the effective health reaches the proxies' Endpoints.
  await send([0, 2], Health.UNHEALTHY, 5, Health.UNHEALTHY, true);
  const endpoints = await until('web Endpoints with 10.0.0.1 UNHEALTHY on a proxy', () => {
    const e = clients[0]!.current.get('Endpoints', 'web');
    return e?.endpoints.find((x) => x.address === '10.0.0.1')?.health === Health.UNHEALTHY ? e : undefined;
  });
  assert.deepEqual(endpoints.endpoints.map((e) => `${e.address}:${e.port}`), ['10.0.0.1:80'], 'only the inline endpoint with a verdict is copied');
  const health = (await (await fetch(`${cp.apiUrl}/v1/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { endpoints: Array<{ cluster: string; health: string; verdicts: Array<{ source: string }> }> };
  assert.equal(health.endpoints[0]?.health, 'UNHEALTHY');
  assert.equal(health.endpoints[0]?.verdicts[0]?.source, 'replica-a');
  const stored = (await (await fetch(`${cp.apiUrl}/v1/endpoints`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { resources: unknown[] };
  assert.equal(stored.resources.length, 0, 'GET /v1/endpoints keeps the stored resources only');

  // A proxy's votes go with its stream: p1 and p3 leave, p2 (HEALTHY) alone decides.
  await clients[0]!.stop();
  await clients[2]!.stop();
  expectedWrites++;
  await until('HEALTHY once the unhealthy voters left', () => (verdict() === Health.HEALTHY ? true : undefined));
  await until(`${expectedWrites} puts`, () => (watch.puts() >= expectedWrites ? true : undefined));
  assert.equal(watch.puts(), expectedWrites);
});
