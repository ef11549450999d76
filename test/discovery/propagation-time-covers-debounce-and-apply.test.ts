// sluice_discovery_propagation_seconds on a real control plane over real etcd with real discovery
// clients: a change counts once per proxy that ACKs it, and its time runs from the replica's cache
// seeing the revision, so it covers the snapshot debounce and the proxy's apply, which the push
// latency does not. A stream's first sync, a NACKed change, and a change no proxy receives are not
// counted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { cluster, route, startMesh, startProxy, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';
import { sampleValue, scrapeMetrics } from './support/metrics-page.js';

const DEBOUNCE_MS = 300;
const SLOW_APPLY_MS = 250;

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
const proxies: TestProxy[] = [];

const scrape = (): Promise<string> => scrapeMetrics(cp);

/** Sum of one histogram's `_sum` over every label set (push latency has type and result labels). */
function sumOf(page: string, histogram: string): number {
  return page.split('\n').filter((l) => l.startsWith(`${histogram}_sum`)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Every stream of this replica is synced at the store revision the cache has. */
async function allSynced(): Promise<boolean> {
  const revision = cp.api.controlPlane.resourceCache.revision;
  const streams = [...cp.discovery.registry.streams()];
  return streams.length === proxies.length && streams.every((s) => s.syncedRevision === revision);
}

/** This proxy cannot serve routes with priority 13 (a stand-in for any proxy-side limit). */
async function refuseUnlucky(set: ResourceSet): Promise<void> {
  if (set.list('Route').some((r) => r.priority === 13)) throw new Error('priority 13 is not supported by this proxy');
}

before(async () => {
  mesh = await startMesh({ debounceMs: DEBOUNCE_MS });
  cp = mesh.cp;
  await cp.api.apply([cluster('web'), route('first', 'web')]);
  proxies.push(await startProxy([cp.address], { nodeId: 'quick', apply: refuseUnlucky }));
  proxies.push(await startProxy([cp.address], {
    nodeId: 'slow',
    apply: async (set) => {
      await refuseUnlucky(set);
      await new Promise((r) => setTimeout(r, SLOW_APPLY_MS));
    },
  }));
  await until('both proxies hold the first route', () => proxies.every((p) => p.client.current.has('Route', 'first')), 10_000);
  await until('both proxies synced', allSynced, 10_000);
});

after(async () => {
  for (const p of proxies) await p.stop();
  await mesh?.stop();
});

test('a change is timed once per proxy from the cache seeing it to the ACK, debounce and apply included', async () => {
  const start = await scrape();
  assert.equal(sampleValue(start, 'sluice_discovery_propagation_seconds_count'), 0, 'first syncs are not propagation');
  const pushSecondsBefore = sumOf(start, 'sluice_discovery_push_duration_seconds');

  await cp.api.apply([route('second', 'web')]);
  await until('both proxies hold the second route', () => proxies.every((p) => p.client.current.has('Route', 'second')), 10_000);
  await until('two propagations counted', async () => sampleValue(await scrape(), 'sluice_discovery_propagation_seconds_count') === 2, 10_000);
  const page = await scrape();
  const propagationSeconds = sampleValue(page, 'sluice_discovery_propagation_seconds_sum');
  const pushSeconds = sumOf(page, 'sluice_discovery_push_duration_seconds') - pushSecondsBefore;
  // Each proxy waited out the debounce; the slow one also its apply. Timers run on the event loop's
  // cached millisecond clock, so one can fire up to a millisecond before performance.now() (what the
  // metrics read) says its delay has passed: a few milliseconds of slack (a run read 0.59995 s).
  const slackSeconds = 0.005;
  assert.ok(propagationSeconds >= (2 * DEBOUNCE_MS + SLOW_APPLY_MS) / 1000 - slackSeconds, `propagation ${propagationSeconds} s`);
  assert.ok(propagationSeconds - pushSeconds >= (2 * DEBOUNCE_MS) / 1000 - slackSeconds, `propagation ${propagationSeconds} s, push ${pushSeconds} s: the debounce is counted`);
  assert.equal(sampleValue(page, 'sluice_discovery_propagation_seconds_bucket{le="0.25"}'), 0, 'nothing reached a proxy before the debounce ended');
  assert.equal(sampleValue(page, 'sluice_discovery_propagation_seconds_bucket{le="+Inf"}'), 2);
});

test('NACKed changes and changes no proxy receives are not counted', async () => {
  const before = sampleValue(await scrape(), 'sluice_discovery_propagation_seconds_count');

  // A listener for another service: the proxies' scope leaves it out, they are sent nothing.
  await cp.api.apply([{ kind: 'Listener', name: 'elsewhere', address: '127.0.0.1', port: 0, selector: { service: 'elsewhere' } }]);
  await until('both proxies synced past the listener', allSynced, 10_000);

  // A route both proxies refuse.
  await cp.api.apply([route('unlucky', 'web', { priority: 13 })]);
  await until('both proxies NACKed', () => proxies.every((p) => p.rejected.length === 1), 10_000);
  await until('both proxies synced past the refused route', allSynced, 10_000);

  assert.equal(sampleValue(await scrape(), 'sluice_discovery_propagation_seconds_count'), before);

  // The next accepted change counts again, for both.
  await cp.api.apply([route('third', 'web')]);
  await until('two more propagations', async () => sampleValue(await scrape(), 'sluice_discovery_propagation_seconds_count') === before + 2, 10_000);
});
