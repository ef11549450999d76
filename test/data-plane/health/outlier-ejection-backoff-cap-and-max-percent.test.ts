// OutlierDetector on real Peers with real timers: consecutive 5xx / gateway errors / connect
// failures eject; the ejection time grows with repeated ejections up to the cap, and decays while the
// endpoint behaves; at most max_ejection_percent of the cluster (but at least one) is ejected at once;
// the endpoint comes back when its time is up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { OutlierDetectionSchema } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { OutlierDetector, outlierSettingsOf } from '../../../data-plane/src/upstream/health/outlier-detector.js';
import { Peer } from '../../../data-plane/src/upstream/peer.js';

function detector(fields: Parameters<typeof create<typeof OutlierDetectionSchema>>[1], peers: Peer[], clock?: () => number) {
  const events: Array<{ peer: Peer; ejected: boolean; ms: number }> = [];
  const waiters: Array<() => void> = [];
  const d = new OutlierDetector(outlierSettingsOf(create(OutlierDetectionSchema, fields))!, () => peers, {
    changed: (peer, ejected, ms) => {
      peer.updateAvailable();
      events.push({ peer, ejected, ms });
      for (const w of waiters.splice(0)) w();
    },
  }, clock);
  const nextEvent = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  return { d, events, nextEvent };
}

const peersOf = (n: number): Peer[] => Array.from({ length: n }, (_, i) => new Peer('127.0.0.1', 10_000 + i));

test('consecutive 5xx eject; a success in between resets the count; only the configured statuses count', () => {
  const [a, b] = peersOf(2) as [Peer, Peer];
  const { d, events } = detector({ consecutive5xx: 3, consecutiveGatewayErrors: 100, baseEjectionTimeMs: 60_000, maxEjectionPercent: 100 }, [a, b]);
  d.onStatus(a, 500);
  d.onStatus(a, 500);
  d.onStatus(a, 200);
  d.onStatus(a, 500);
  d.onStatus(a, 500);
  d.onStatus(a, 404);
  assert.equal(events.length, 0, 'a non-5xx between failures resets the count');
  d.onStatus(a, 500);
  d.onStatus(a, 501);
  d.onStatus(a, 599);
  assert.equal(events.length, 1);
  assert.equal(a.ejected, true);
  assert.equal(a.available, false);
  assert.equal(a.outlier!.reason, '3 consecutive 5xx');
  assert.equal(events[0]!.ms, 60_000);
  a.close();
  b.close();
});

test('gateway errors and connect failures have their own thresholds', () => {
  const [a, b, c] = peersOf(3) as [Peer, Peer, Peer];
  const { d, events } = detector({ consecutive5xx: 100, consecutiveGatewayErrors: 2, consecutiveConnectFailures: 3, maxEjectionPercent: 100 }, [a, b, c]);
  d.onStatus(a, 502);
  d.onStatus(a, 500); // a 500 breaks a run of gateway errors
  d.onStatus(a, 503);
  assert.equal(events.length, 0);
  d.onStatus(a, 504);
  assert.equal(a.outlier!.reason, '2 consecutive gateway errors');
  // Resets after connecting count as gateway errors; connect failures count as both.
  d.onFailure(b, 'reset');
  d.onFailure(b, 'reset');
  assert.equal(b.outlier!.reason, '2 consecutive gateway errors');
  const { d: d2 } = detector({ consecutive5xx: 100, consecutiveGatewayErrors: 100, consecutiveConnectFailures: 3, maxEjectionPercent: 100 }, [c]);
  d2.onFailure(c, 'connect');
  d2.onFailure(c, 'connect');
  assert.equal(c.ejected, false);
  d2.onFailure(c, 'connect');
  assert.equal(c.outlier!.reason, '3 consecutive connect failures');
  for (const p of [a, b, c]) p.close();
});

test('ejection time: base × ejections, capped at max; un-ejected when the time is up; the multiplier decays', { timeout: 20_000 }, async () => {
  const [a, b] = peersOf(2) as [Peer, Peer];
  let clock = 0;
  const { d, events, nextEvent } = detector({ consecutive5xx: 1, baseEjectionTimeMs: 60, maxEjectionTimeMs: 150, maxEjectionPercent: 50 }, [a, b], () => clock);
  // Ejection timers are unref'd (they must not keep a proxy alive): hold the loop open meanwhile.
  const keepAlive = setInterval(() => {}, 1000);
  const ejectAndWait = async (): Promise<number> => {
    d.onStatus(a, 500);
    const started = performance.now();
    assert.equal(a.ejected, true);
    await nextEvent();
    assert.equal(a.ejected, false, 'un-ejected when its time is up');
    assert.equal(a.available, true);
    return performance.now() - started;
  };
  const measured: number[] = [];
  for (let i = 0; i < 4; i++) measured.push(await ejectAndWait());
  const lengths = events.filter((e) => e.ejected).map((e) => e.ms);
  assert.deepEqual(lengths, [60, 120, 150, 150], 'grows with each ejection, capped at max_ejection_time');
  // Node starts a timer from the event loop's cached time, which under load can be several
  // milliseconds older than performance.now() at the call: a timer may look up to ~20 ms early.
  for (let i = 0; i < 4; i++) assert.ok(measured[i]! >= lengths[i]! - 20 && measured[i]! < lengths[i]! + 500, `ejection ${i} lasted ${measured[i]}ms, configured ${lengths[i]}`);
  // Two base times of good behaviour since the last un-ejection: the multiplier (4) drops by 2.
  clock += 120;
  d.onStatus(a, 500);
  assert.equal(events.at(-1)!.ms, 150, 'multiplier 4 - 2 + 1 = 3: 180 capped at 150');
  await nextEvent();
  clock += 600;
  d.onStatus(a, 500);
  assert.equal(events.at(-1)!.ms, 60, 'a long good spell brings it back to the base time');
  assert.equal(a.outlier!.ejections, 6);
  clearInterval(keepAlive);
  a.close();
  b.close();
});

test('max_ejection_percent bounds the ejected share, but one endpoint can always be ejected', () => {
  const four = peersOf(4);
  const { d } = detector({ consecutive5xx: 1, maxEjectionPercent: 50 }, four);
  for (const p of four) d.onStatus(p, 500);
  assert.equal(four.filter((p) => p.ejected).length, 2, '50% of 4');
  // Ejected or not, every further failure of the others is ignored until one comes back.
  for (const p of four) d.onStatus(p, 500);
  assert.equal(four.filter((p) => p.ejected).length, 2);
  const three = peersOf(3);
  const { d: d3 } = detector({ consecutive5xx: 1, maxEjectionPercent: 10 }, three);
  for (const p of three) d3.onStatus(p, 500);
  assert.equal(three.filter((p) => p.ejected).length, 1, '10% of 3 rounds down to 0, yet one may go');
  for (const p of [...four, ...three]) p.close();
});
