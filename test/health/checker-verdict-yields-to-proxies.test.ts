// The elected checker only checks endpoints no proxy checks, and its last verdict stays in etcd after
// proxies start reporting. The effective health must then follow the proxies: a stale checker HEALTHY
// counted as one more vote would tie with one replica's UNHEALTHY and, ties failing open, win — the
// health loop would never tell the fleet that an endpoint is down (found by the health-loop e2e test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { CHECKER_SOURCE, encodeHealthEntry, healthKey } from '../../control-plane/src/health/health-entry.js';
import { HealthView } from '../../control-plane/src/health/health-view.js';
import { EmbeddedLeaseStore } from '../../control-plane/src/store/embedded-lease-store.js';

test('a checker verdict decides only endpoints that no replica vouches for', async (t) => {
  const store = new EmbeddedLeaseStore();
  const lease = store.grant(10);
  const put = (address: string, source: string, health: Health) =>
    lease.put(healthKey('web', address, 80, source), encodeHealthEntry({ cluster: 'web', address, port: 80, health, source, replica: source === CHECKER_SOURCE ? 'cp-a' : source, since: new Date(0).toISOString() }));
  // 10.0.0.1: the checker said HEALTHY before the proxies of replica cp-a took over and saw it fail.
  await put('10.0.0.1', CHECKER_SOURCE, Health.HEALTHY);
  await put('10.0.0.1', 'cp-a', Health.UNHEALTHY);
  // 10.0.0.2: only the checker knows it.
  await put('10.0.0.2', CHECKER_SOURCE, Health.UNHEALTHY);
  // 10.0.0.3: two replicas disagree (ties fail open), the checker's stale UNHEALTHY does not count.
  await put('10.0.0.3', CHECKER_SOURCE, Health.UNHEALTHY);
  await put('10.0.0.3', 'cp-a', Health.UNHEALTHY);
  await put('10.0.0.3', 'cp-b', Health.HEALTHY);

  const view = new HealthView(store);
  await view.start();
  t.after(() => view.close());
  const effective = view.effectiveHealth('web');
  assert.equal(effective.get('10.0.0.1:80'), Health.UNHEALTHY, 'the proxies outrank a stale checker HEALTHY');
  assert.equal(effective.get('10.0.0.2:80'), Health.UNHEALTHY, 'the checker decides what no proxy checks');
  assert.equal(effective.get('10.0.0.3:80'), Health.HEALTHY, 'replicas alone vote when they vouch');
});
