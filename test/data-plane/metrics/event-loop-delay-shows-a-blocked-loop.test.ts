// sluice_proxy_event_loop_delay_seconds: a loop blocked for a while shows as the window's longest
// delay while an unblocked loop's median stays short; a stopped monitor (a retired worker) reports
// nothing; with workers, /metrics shows the worst worker's value for each quantile, not their sum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLoopDelay, type EventLoopDelaySnapshot } from '../../../data-plane/src/metrics/event-loop-delay.js';
import { metricsText } from '../../../data-plane/src/metrics/metrics-text.js';
import { ProxyMetrics } from '../../../data-plane/src/metrics/proxy-metrics.js';
import { until } from '../../support/until.js';

const BLOCK_MS = 150;

function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy on purpose: nothing else may run meanwhile.
  }
}

test('a blocked loop is the longest delay of its window; a stopped monitor reports nothing', async () => {
  const delay = new EventLoopDelay(400);
  try {
    // Samples first, so that the window has short delays too.
    await new Promise((r) => setTimeout(r, 100));
    blockLoop(BLOCK_MS);
    const seen = await until('a window with the blocked loop', () => {
      const s = delay.snapshot();
      return s !== undefined && s.max >= (BLOCK_MS - 20) / 1000 ? s : undefined;
    }, 5000, 20);
    assert.ok(seen.max < 5, `the longest delay is seconds, not ms or ns: ${seen.max}`);
    assert.ok(seen.p50 < seen.max, `the median (${seen.p50}) is not the blocked sample (${seen.max})`);
  } finally {
    delay.stop();
  }
  assert.equal(delay.snapshot(), undefined);
});

test('two workers: each quantile is the highest worker\'s', async () => {
  const workerMetrics = (d: EventLoopDelaySnapshot | undefined): ProxyMetrics => new ProxyMetrics({ clusters: () => [], downstreamConnections: async () => 0, eventLoopDelay: () => d });
  const page = await metricsText([
    await workerMetrics({ p50: 0.001, p99: 0.2, max: 0.25 }).json(),
    await workerMetrics({ p50: 0.003, p99: 0.01, max: 0.5 }).json(),
    // A retired worker's monitor is stopped: it takes no part.
    await workerMetrics(undefined).json(),
  ]);
  const lines = page.split('\n').filter((l) => l.startsWith('sluice_proxy_event_loop_delay_seconds'));
  assert.deepEqual(lines, [
    'sluice_proxy_event_loop_delay_seconds{quantile="0.5"} 0.003',
    'sluice_proxy_event_loop_delay_seconds{quantile="0.99"} 0.2',
    'sluice_proxy_event_loop_delay_seconds{quantile="1"} 0.5',
  ]);
  assert.match(page, /^# TYPE sluice_proxy_event_loop_delay_seconds gauge$/m);
});
