// An endpoint killed (SIGKILL of its process) under full load: wrk -t1 -c50 with no rate limit through
// `sluice proxy --workers 2`, a cluster of two endpoints and the retry policy of examples/mesh.yaml's
// `web` route. Fewer than 0.1% of the requests fail: the retries of the requests caught by the kill
// go to the other endpoint, and its first refused connect takes the dead one out of both workers.
// Runs alone at the end of `npm test` (run-tests.ts SOLO): other files' load would starve wrk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFailoverRound } from './failover-round.js';

/** Enough requests for 0.1% to mean something, even when a loaded machine halves the throughput. */
const MIN_REQUESTS = 1000;

test('one of two endpoints killed under full load: under 0.1% of requests fail', { timeout: 90_000 }, async (t) => {
  const r = await runFailoverRound({ endpoints: 2, durationS: 5, killAfterMs: 1500, log: (line) => t.diagnostic(line) });
  t.diagnostic(`${r.requests} requests (${r.requestsPerSecond.toFixed(0)} req/s), ${r.failed} failed (${r.failedPercent.toFixed(4)}%); last try of the dead endpoint ${r.lastTryMs.toFixed(0)} ms after the kill; proxy errors ${JSON.stringify(r.errors)}`);
  assert.ok(r.requests >= MIN_REQUESTS, `the load was too light to judge 0.1%: ${r.requests} requests\n${r.wrkOutput}`);
  assert.ok(r.failed * 1000 < r.requests, `${r.failed} of ${r.requests} requests failed (${r.failedPercent.toFixed(3)}%), proxy errors ${JSON.stringify(r.errors)}\n${r.wrkOutput}`);
  assert.ok(r.goneMs >= 0, 'the dead endpoint never left the balancers');
});
