// The dashboard's live feed over real proxies (DiscoveryClients on real gRPC streams): a page that
// connects gets the overview and every proxy at once (in columns); a proxy that connects arrives as an upsert, one
// that NACKs changes its record, one that goes away is removed; an apply sends a revision event and a
// new overview. Signed in by cookie or by bearer token; without either, 401.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TOKEN } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { cluster, route, startProxy } from '../discovery/support/discovery-fixture.js';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { until } from '../support/until.js';
import { EventStream } from './support/event-stream.js';
import { startFeedFixture } from './support/feed-fixture.js';

test('the live feed follows proxies, NACKs and applies', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const f = await startFeedFixture({ feed: { tickMs: 100 } });
  cleanup(() => f.stop());
  await f.api.apply([cluster('web')]);
  const first = await startProxy([f.discovery.address], { nodeId: 'node-a' });
  cleanup(() => first.stop());
  // Settled: synced and its ACK of the cluster recorded, so its record no longer changes.
  await until('node-a is listed, synced and has ACKed the cluster', async () => {
    const p = (await f.api.get('/v1/proxies')).body.proxies[0];
    return p?.state === 'SYNCED' && p.lastAckAt !== undefined && p.types.Cluster !== undefined;
  });

  const feed = await f.open();
  cleanup(() => feed.close());
  assert.equal(feed.status, 200);
  assert.equal(feed.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.match(feed.headers.get('content-security-policy') ?? '', /default-src 'self'/);

  await t.test('on connect: the overview, then every proxy as a reset', async () => {
    const overview = await feed.next('overview');
    assert.equal(overview.data.revision, f.api.controlPlane.resourceCache.revision);
    assert.equal(overview.data.proxies.total, 1);
    assert.equal(overview.data.rollout.revision, overview.data.revision);
    assert.equal(overview.data.rollout.proxies, 1);
    assert.deepEqual(overview.data.endpoints, { total: 1, unhealthy: 0, ejected: 0 });
    assert.equal(overview.data.traffic, null);
    const reset = await feed.next('proxies', (d) => d.reset === true);
    // In columns: the field names once, then each proxy's values in their order (null: absent).
    const { columns, rows } = reset.data as { columns: string[]; rows: unknown[][] };
    const records = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]).filter(([, v]) => v !== null)));
    assert.deepEqual(records.map((p) => p['nodeId']), ['node-a']);
    // Records are GET /v1/proxies' items, state included.
    const listed = (await f.api.get('/v1/proxies')).body.proxies[0];
    assert.deepEqual(records[0], listed);
    assert.equal(feed.events.findIndex((e) => e.event === 'overview') < feed.events.findIndex((e) => e.event === 'proxies'), true);
  });

  await t.test('a proxy that connects arrives as an upsert', async () => {
    const from = feed.events.length;
    const second = await startProxy([f.discovery.address], { nodeId: 'node-b' });
    cleanup(() => second.stop());
    const delta = await feed.next('proxies', (d) => d.reset !== true && d.upsert.some((p: { nodeId: string }) => p.nodeId === 'node-b'), 10_000, from);
    assert.deepEqual(delta.data.remove, []);
    await feed.next('overview', (d) => d.proxies.total === 2, 10_000, from);
  });

  await t.test('an apply sends a revision event; a proxy that NACKs changes its record', async () => {
    const refusing = await startProxy([f.discovery.address], {
      nodeId: 'node-nack',
      apply: async (set: ResourceSet) => {
        if (set.list('Route').some((r) => r.name === 'bad')) throw new Error('<script>alert(1)</script> refused');
      },
    });
    cleanup(() => refusing.stop());
    await feed.next('proxies', (d) => d.upsert?.some((p: { nodeId: string }) => p.nodeId === 'node-nack'));
    const from = feed.events.length;
    const applied = await f.api.apply([route('bad', 'web')]);
    assert.equal(applied.status, 200);
    const revision = applied.body.revision as number;
    await feed.next('revision', (d) => d.revision >= revision, 10_000, from);
    const nack = await feed.next('proxies', (d) => d.upsert?.some((p: { nodeId: string; state: string }) => p.nodeId === 'node-nack' && p.state === 'NACK'), 10_000, from);
    const record = nack.data.upsert.find((p: { nodeId: string }) => p.nodeId === 'node-nack');
    assert.match(record.rejected[0].error, /<script>alert\(1\)<\/script> refused/);
    const overview = await feed.next('overview', (d) => d.revision >= revision && d.proxies.nack === 1 && d.rollout.rejecting === 1, 10_000, from);
    assert.equal(overview.data.rollout.errors[0].nodeId, 'node-nack');
  });

  await t.test('the overview counts endpoints as proxies receive them, and the unhealthy ones', async () => {
    const from = feed.events.length;
    const applied = await f.api.apply([{ kind: 'Endpoints', name: 'web', endpoints: [{ address: '127.0.0.2', port: 18080, health: 'UNHEALTHY' }, { address: '127.0.0.3', port: 18080, health: 'HEALTHY' }] }]);
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    const overview = await feed.next('overview', (d) => d.endpoints.total === 3, 10_000, from);
    assert.deepEqual(overview.data.endpoints, { total: 3, unhealthy: 1, ejected: 0 });
  });

  await t.test('a proxy that goes away is removed', async () => {
    const from = feed.events.length;
    await first.stop();
    const delta = await feed.next('proxies', (d) => d.remove?.includes('node-a'), 10_000, from);
    assert.ok(!delta.data.upsert.some((p: { nodeId: string }) => p.nodeId === 'node-a'));
  });

  await t.test('a bearer token opens the feed too; no credentials is a 401', async () => {
    const bearer = await EventStream.open(`${f.api.url}/ui/events`, { authorization: `Bearer ${TEST_TOKEN}` });
    cleanup(() => bearer.close());
    assert.equal(bearer.status, 200);
    await bearer.next('overview');
    const none = await EventStream.open(`${f.api.url}/ui/events`, {});
    assert.equal(none.status, 401);
  });
});
