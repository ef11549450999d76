// On the embedded store (`npm start`, no --etcd) the control plane always leads the health
// checks, so its checker's fenced writes must commit: an endpoint of a cluster with a healthCheck that
// refuses connections turns UNHEALTHY in the health view, written by `checker`, and stays written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { ControlPlane } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { freePort } from '../support/free-port.js';
import { until } from '../support/until.js';

const TOKEN = 'embedded-checker-token';

test('embedded store: the checker\'s fenced writes commit (UNHEALTHY written by checker)', { timeout: 30_000 }, async (t) => {
  const cp = new ControlPlane({ token: TOKEN, apiListen: { host: '127.0.0.1', port: 0 }, log: createLogger({ level: 'error' }) });
  await cp.start();
  t.after(() => cp.stop());
  const port = await freePort(); // nothing listens: every probe fails
  const res = await fetch(`${cp.apiUrl}/v1/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resources: [{
      kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port }],
      healthCheck: { tcp: {}, intervalMs: 50, timeoutMs: 40, unhealthyThreshold: 2, healthyThreshold: 2 },
    }] }),
  });
  assert.equal(res.status, 200, await res.text());
  const checkerEntry = () => cp.health.view.allEntries().find((e) => e.cluster === 'web' && e.source === 'checker');
  // The assertion below reports a missing entry, with how many endpoints the checker was checking.
  const entry = await until('the checker\'s entry', checkerEntry, 5_000).catch(() => undefined);
  const checking = cp.health.leaderChecks?.checker.checking;
  assert.ok(entry !== undefined, `the checker's verdict reached the health view (checking ${checking} endpoints)`);
  assert.equal(entry.health, Health.UNHEALTHY);
  assert.equal(cp.health.view.effectiveHealth('web').get(`127.0.0.1:${port}`), Health.UNHEALTHY);
});
