// How one replica counts summaries (clock under the test's control): a summary's requests are spread
// over the windows its interval overlaps, in proportion; percentiles interpolate inside the bucket as
// histogram_quantile does; a window is shown only once complete; a summary covering a long gap (a
// reconnect) counts only the share of its last 12 windows, so its cost stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { TrafficSummarySchema } from '../../proto/gen/sluice/v1/discovery_pb.js';
import { LATENCY_BOUNDS_S } from '../../proto/src/wire/traffic-limits.js';
import { TrafficService, reportDelayMs } from '../../control-plane/src/traffic/traffic-service.js';

const W = 1000;
/** `n` requests of route web, a tenth of them 5xx, all in latency bucket 7 (50–100 ms). */
const summary = (n: number, intervalMs: number) => {
  const counts = (name: string) => ({ name, byStatusClass: [0, 0, n * 0.9, 0, 0, n * 0.1], latencyBuckets: [0, 0, 0, 0, 0, 0, 0, n] });
  return create(TrafficSummarySchema, { intervalMs, latencyBoundsSeconds: [...LATENCY_BOUNDS_S], total: counts(''), routes: [counts('web')], clusters: [counts('web')] });
};

test('a summary straddling two windows counts in each in proportion; figures as Prometheus would give', () => {
  let now = 100_000_500;
  const traffic = new TrafficService(undefined, { windowMs: W, now: () => now });
  // Covers 100_000_000.5 s - 1 s to now: half in the window before the one now runs, half in it.
  assert.equal(traffic.intake.accept('s1', 'front', summary(100, 1000)), 'accepted');
  const [before, current] = [traffic.window.bucket(99_999), traffic.window.bucket(100_000)];
  assert.equal(before?.mesh.requests, 50);
  assert.equal(current?.mesh.requests, 50);
  assert.equal(before?.proxies, 0.5);
  // Not shown until complete: the report's last window is older than both.
  assert.equal(traffic.report().mesh.rps, 0);
  now += 1500;
  assert.equal(traffic.intake.accept('s1', 'front', summary(100, 1500)), 'accepted');
  now += reportDelayMs(W);
  const r = traffic.report();
  assert.equal(r.series[r.series.length - 1]!.t, 100_001);
  // Window 100_000 holds 50 of the first summary and a third of the second's 100.
  const w = r.series.find((p) => p.t === 100_000)!;
  assert.ok(Math.abs(w.rps - (50 + 100 / 3)) < 0.01, `rps ${w.rps}`);
  assert.equal(w.errorRate, 0.1);
  // All in the 50–100 ms bucket: p99 interpolated at 99 % of it, p50 at half.
  assert.equal(w.p99Ms, 99.5);
  const last = r.mesh;
  assert.equal(last.p50Ms, 75);
  assert.equal(r.routes[0]!.route, 'web');
  assert.deepEqual(r.edges.map((e) => [e.from, e.to]), [['front', 'web']]);
  assert.equal(traffic.report(), r, 'the same answer until a new window');
});

test('a summary covering a long gap counts only the share of its last 12 windows', () => {
  let now = 200_000_000;
  const traffic = new TrafficService(undefined, { windowMs: W, now: () => now });
  traffic.intake.accept('s1', 'front', summary(10, 1000));
  now += 400 * W; // more than the ring holds
  traffic.intake.accept('s1', 'front', summary(10, 1000));
  const fresh = traffic.window.bucket(traffic.window.indexAt(now - 1));
  assert.equal(fresh?.mesh.requests, 10);
  // 400 windows long: each of the last 12 gets its 1/400 share; the older ones are not touched.
  traffic.intake.accept('s2', 'front', summary(10, 400 * W));
  const last = traffic.window.indexAt(now - 1);
  assert.equal(traffic.window.bucket(last)!.mesh.requests, 10 + 10 / 400);
  assert.equal(traffic.window.bucket(last - 11)!.mesh.requests, 10 / 400);
  assert.equal(traffic.window.bucket(last - 12), undefined);
});
