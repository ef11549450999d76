// The control plane's /metrics moves with real discovery clients over real etcd: the
// connected-proxies gauge follows connects and disconnects, pushes are counted with their ACK latency,
// a NACK is counted by type, and an API write records the watch lag.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { cluster, route, startMesh, startProxy, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';
import { sampleValue, scrapeMetrics } from './support/metrics-page.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
const proxies: TestProxy[] = [];

const scrape = (): Promise<string> => scrapeMetrics(cp);

/** This proxy cannot serve routes with priority 13 (a stand-in for any proxy-side limit). */
async function refuseUnlucky(set: ResourceSet): Promise<void> {
  if (set.list('Route').some((r) => r.priority === 13)) throw new Error('priority 13 is not supported by this proxy');
}

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  await cp.api.apply([cluster('web'), route('good', 'web')]);
});

after(async () => {
  for (const p of proxies) await p.stop();
  await mesh?.stop();
});

test('connected proxies, pushes with their latency, NACKs and watch lag on /metrics', async () => {
  const before = await scrape();
  assert.equal(sampleValue(before, 'sluice_discovery_connected_proxies'), 0);
  assert.equal(sampleValue(before, 'sluice_discovery_nacks_total{type="Route"}'), 0);
  assert.ok(sampleValue(before, 'sluice_store_watch_lag_seconds_count') >= 1, 'the set-up write was timed');

  for (const id of ['metrics-1', 'metrics-2']) {
    const p = await startProxy([cp.address], { nodeId: id, apply: refuseUnlucky });
    proxies.push(p);
    await until(`${id} configured`, () => p.client.current.has('Route', 'good'), 8_000);
  }
  await until('two proxies connected', async () => sampleValue(await scrape(), 'sluice_discovery_connected_proxies') === 2, 8_000);
  let page = await scrape();
  assert.equal(sampleValue(page, 'sluice_discovery_streams_total'), 2);
  // Each proxy got (at least) its Cluster and its Route, and ACKed both.
  assert.ok(sampleValue(page, 'sluice_discovery_pushes_total{type="Route"}') >= 2, page);
  assert.ok(sampleValue(page, 'sluice_discovery_push_duration_seconds_count{type="Route",result="ack"}') >= 2);
  assert.equal(sampleValue(page, 'sluice_discovery_snapshot_revision'), sampleValue(page, 'sluice_store_revision'));

  // A route both proxies refuse: one NACK each, and the NACK latency lands under result="nack".
  await cp.api.apply([route('unlucky', 'web', { priority: 13 })]);
  await until('both proxies NACKed', () => proxies.every((p) => p.rejected.length === 1), 8_000);
  await until('NACKs counted', async () => sampleValue(await scrape(), 'sluice_discovery_nacks_total{type="Route"}') === 2, 8_000);
  page = await scrape();
  assert.equal(sampleValue(page, 'sluice_discovery_push_duration_seconds_count{type="Route",result="nack"}'), 2);
  assert.equal(sampleValue(page, 'sluice_discovery_nacks_total{type="Cluster"}'), 0);

  // A disconnect moves the gauge down.
  await proxies.pop()!.stop();
  await until('one proxy left', async () => sampleValue(await scrape(), 'sluice_discovery_connected_proxies') === 1, 8_000);
  assert.ok(sampleValue(await scrape(), 'sluice_store_watch_lag_seconds_count') >= 2);
});
