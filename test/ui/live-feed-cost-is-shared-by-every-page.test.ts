// The live feed's cost does not grow with the number of open pages: 20 pages cost one computation per
// tick (counted by sluice_ui_feed_computations_total, not timed), as one page does, and each page
// receives the same events. Beyond the subscriber limit a page is refused with 503; a page that does
// not read is dropped once its connection holds too much; the ticker stops a while after the last page goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { cleanupStack } from '../support/cleanup-stack.js';
import { until } from '../support/until.js';
import type { EventStream } from './support/event-stream.js';
import { startFeedFixture } from './support/feed-fixture.js';

const TICK_MS = 100;
const LINGER_MS = 5 * TICK_MS;

test('20 pages cost one computation per tick', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  // Traffic that changes every tick, so every tick has an event for every page.
  let window = 0;
  const f = await startFeedFixture({ feed: { tickMs: TICK_MS, maxSubscribers: 20, lingerMs: LINGER_MS }, traffic: () => ({ windowSeconds: 5, window: ++window, mesh: { rps: window, errorRate: 0, p50Ms: 1, p99Ms: 2 } }) });
  cleanup(() => f.stop());
  const pages: EventStream[] = [];
  for (let i = 0; i < 20; i++) {
    const page = await f.open();
    cleanup(() => page.close());
    assert.equal(page.status, 200);
    pages.push(page);
  }
  await until('every page has its first events', () => pages.every((p) => p.events.some((e) => e.event === 'proxies')));
  assert.equal(await f.metric('sluice_ui_feed_subscribers'), 20);

  await t.test('the 21st page is refused with 503', async () => {
    const refused = await f.open();
    assert.equal(refused.status, 503);
    assert.equal(JSON.parse(refused.body).code, 'SLUICE_FEED_FULL');
  });

  await t.test('computations follow the ticks, not the pages', async () => {
    const before = await f.metric('sluice_ui_feed_computations_total');
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    const after = await f.metric('sluice_ui_feed_computations_total');
    const ticks = (Date.now() - started) / TICK_MS;
    const computed = after - before;
    // One per tick (timers may run late, never early): at most the ticks elapsed plus one, and far
    // below what a computation per page would cost (20 per tick).
    assert.ok(computed >= 5, `computed ${computed} times in ${ticks.toFixed(1)} ticks: the ticker should run`);
    assert.ok(computed <= ticks + 1, `computed ${computed} times in ${ticks.toFixed(1)} ticks with 20 pages`);
    // Every page got every tick's traffic event: the same events, fanned out.
    const windows = pages.map((p) => p.events.filter((e) => e.event === 'traffic').map((e) => e.data.window as number));
    const last = Math.min(...windows.map((w) => w.at(-1)!));
    for (const w of windows) assert.ok(w.includes(last - 1) && w.includes(last), `a page missed a window: ${w.slice(-5).join(',')}`);
  });

  await t.test('the overview carries the traffic provider\'s mesh', async () => {
    const overview = pages[0]!.events.filter((e) => e.event === 'overview').at(-1)!;
    assert.equal(overview.data.traffic.p99Ms, 2);
    assert.equal(typeof overview.data.traffic.rps, 'number');
  });

  await t.test('when the last page goes the ticker lingers (a reload joins it), then stops', async () => {
    for (const p of pages) p.close();
    await until('no subscriber left', async () => (await f.metric('sluice_ui_feed_subscribers')) === 0);
    const lingering = await f.metric('sluice_ui_feed_computations_total');
    await new Promise((r) => setTimeout(r, 3 * TICK_MS));
    assert.ok(await f.metric('sluice_ui_feed_computations_total') > lingering, 'still computing while it lingers');
    await new Promise((r) => setTimeout(r, LINGER_MS));
    const before = await f.metric('sluice_ui_feed_computations_total');
    await new Promise((r) => setTimeout(r, 5 * TICK_MS));
    assert.equal(await f.metric('sluice_ui_feed_computations_total'), before);
  });
});

test('a page that does not read is dropped; a heartbeat keeps idle pages open', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  // 256 KiB of traffic per tick, new each time; a page may hold 1 MiB unsent.
  let window = 0;
  const big = 'x'.repeat(256 * 1024);
  const f = await startFeedFixture({ feed: { tickMs: 50, maxBufferedBytes: 1024 * 1024, heartbeatMs: 200 }, traffic: () => ({ window: ++window, padding: big, mesh: null }) });
  cleanup(() => f.stop());
  const reader = await f.open();
  cleanup(() => reader.close());
  // A raw connection that sends the request and never reads the answer.
  const { port } = f.api.controlPlane.apiListenAddress;
  const stalled = connect({ host: '127.0.0.1', port });
  cleanup(() => stalled.destroy());
  stalled.write(`GET /ui/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${f.cookie}\r\n\r\n`);
  stalled.pause();
  await until('both pages are subscribed', async () => (await f.metric('sluice_ui_feed_subscribers')) === 2);
  await until('the stalled page is dropped', async () => (await f.metric('sluice_ui_feed_dropped_total')) === 1, 30_000);
  assert.equal(await f.metric('sluice_ui_feed_subscribers'), 1);
  // The page that reads stays, and hears the heartbeat.
  await until('a heartbeat comment', () => reader.comments.includes('heartbeat'));
  assert.equal(reader.closed, false);
});
