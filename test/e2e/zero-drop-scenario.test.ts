// The short variant of the zero-drop scenario (the 60 s one is test/bench/zero-drop-bench.ts):
// real etcd, two control-plane replicas, three proxies with two workers each; keep-alive HTTP/1.1 and
// HTTPS, HTTP/2 (h2c and TLS), gRPC streams, WebSockets and large uploads for about 33 s (3 s of warm-up, then 30 s) while the
// admin API applies 10 changes a second (route edits, weight shifts, endpoint changes, a certificate
// rotation, a listener added and removed, a route removed); midway one replica is SIGKILLed and one
// proxy restarted with zero downtime. Asserts zero failures other than the removed route's traffic,
// zero resets on unchanged listeners, every request finished, upstream reuse >= 99%, and every proxy
// at the final revision through the surviving replica's /v1/rollout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runZeroDropScenario } from './scenario/zero-drop-run.js';
import { formatZeroDropReport } from './scenario/zero-drop-table.js';
import { zeroDropViolations } from './scenario/zero-drop-verdicts.js';

test('zero drops while configuration changes 10 times a second, a replica dies and a proxy restarts', { timeout: 170_000 }, async (t) => {
  const report = await runZeroDropScenario({ durationMs: 30_000, warmUpMs: 3000, log: (line) => t.diagnostic(line) });
  for (const line of formatZeroDropReport(report).split('\n')) t.diagnostic(line);
  assert.deepEqual(zeroDropViolations(report), []);
});
