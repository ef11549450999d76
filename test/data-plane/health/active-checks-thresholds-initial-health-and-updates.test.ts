// ActiveHealthChecker against real HTTP and TCP upstreams on 127.0.0.1: unhealthy/healthy thresholds,
// both initial healths, a configuration update keeps an endpoint's state, a removed endpoint stops
// being probed, and the next probe waits interval plus at most jitter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { ActiveHealthChecker, type HealthTransition } from '../../../data-plane/src/upstream/health/active-health-checker.js';
import { clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { closedPort, startUpstream } from '../helpers/fake-upstream.js';
import { until } from '../../support/until.js';

function resources(yaml: string): ResourceSet {
  const parsed = parseConfigText(yaml, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config.resources;
}

/** Collects transitions; `next(pred)` resolves with the first matching one not returned before. */
function recorder() {
  const all: HealthTransition[] = [];
  const used = new Set<HealthTransition>();
  const waiters: Array<{ pred: (t: HealthTransition) => boolean; resolve: (t: HealthTransition) => void }> = [];
  const onTransitions = (ts: HealthTransition[]): void => {
    for (const t of ts) {
      all.push(t);
      const w = waiters.find((x) => x.pred(t));
      if (w !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        used.add(t);
        w.resolve(t);
      }
    }
  };
  const next = (pred: (t: HealthTransition) => boolean, timeoutMs = 5000): Promise<HealthTransition> => {
    const seen = all.find((t) => !used.has(t) && pred(t));
    if (seen !== undefined) {
      used.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching transition in ${timeoutMs}ms; saw ${JSON.stringify(all)}`)), timeoutMs);
      waiters.push({ pred, resolve: (t) => { clearTimeout(timer); resolve(t); } });
    });
  };
  return { all, onTransitions, next };
}

test('HTTP check: UNKNOWN start, HEALTHY after healthy_threshold passes, UNHEALTHY after unhealthy_threshold failures, back again', { timeout: 30_000 }, async (t) => {
  let status = 200;
  const probes: Array<{ at: number; host: string | undefined; url: string | undefined }> = [];
  const up = await startUpstream((req, res) => {
    probes.push({ at: performance.now(), host: req.headers.host, url: req.url });
    res.statusCode = status;
    res.end();
  });
  t.after(() => up.close());
  const rec = recorder();
  const checker = new ActiveHealthChecker({ onTransitions: rec.onTransitions });
  t.after(() => checker.stop());
  checker.update(resources(yamlDocs(
    clusterYaml('web', [up.port], 'healthCheck: {http: {path: /healthz, host: web.internal}, intervalMs: 60, timeoutMs: 50, unhealthyThreshold: 3, healthyThreshold: 2}'),
  )));
  const healthy = await rec.next((x) => x.health === Health.HEALTHY);
  assert.equal(healthy.cause, 'probe');
  assert.equal(healthy.reason, 'http 200');
  assert.ok(probes.length >= 2, `HEALTHY after ${probes.length} probes`);
  assert.equal(probes[0]!.host, 'web.internal');
  assert.equal(probes[0]!.url, '/healthz');
  assert.deepEqual(rec.all.filter((x) => x.cause === 'initial'), [], 'UNKNOWN initial health emits nothing');

  status = 503;
  const before = probes.length;
  const down = await rec.next((x) => x.health === Health.UNHEALTHY);
  assert.equal(down.reason, 'http 503');
  assert.ok(probes.length - before >= 3, `UNHEALTHY after ${probes.length - before} failed probes (threshold 3)`);
  assert.ok(probes.length - before <= 4, `not later than the threshold: ${probes.length - before}`);

  status = 204;
  const back = await rec.next((x) => x.health === Health.HEALTHY);
  assert.equal(back.reason, 'http 204');
  assert.equal(rec.all.filter((x) => x.health === Health.UNHEALTHY).length, 1, 'one transition per change, not one per probe');
});

test('initial UNHEALTHY: reported at once, taken back after healthy_threshold passes; expected statuses honoured', { timeout: 30_000 }, async (t) => {
  let passes = 0;
  const up = await startUpstream((_req, res) => {
    passes++;
    res.statusCode = 418;
    res.end();
  });
  t.after(() => up.close());
  const rec = recorder();
  const checker = new ActiveHealthChecker({ onTransitions: rec.onTransitions });
  t.after(() => checker.stop());
  checker.update(resources(yamlDocs(
    clusterYaml('tea', [up.port], 'healthCheck: {http: {path: /, expectedStatuses: [418]}, intervalMs: 50, healthyThreshold: 3, initialHealth: UNHEALTHY}'),
  )));
  const initial = await rec.next(() => true);
  assert.equal(initial.health, Health.UNHEALTHY);
  assert.equal(initial.cause, 'initial');
  const healthy = await rec.next((x) => x.health === Health.HEALTHY);
  assert.equal(healthy.reason, 'http 418');
  assert.ok(passes >= 3, `healthy after ${passes} passes (threshold 3)`);
});

test('TCP check: refused port goes UNHEALTHY with the connect error; update keeps state; removal says UNKNOWN and stops probing', { timeout: 30_000 }, async (t) => {
  const dead = await closedPort();
  let accepted = 0;
  const live = await startUpstream();
  live.server.on('connection', () => accepted++);
  t.after(() => live.close());
  const rec = recorder();
  const checker = new ActiveHealthChecker({ onTransitions: rec.onTransitions });
  t.after(() => checker.stop());
  const config = (interval: number, endpoints: number[]): ResourceSet =>
    resources(`kind: Cluster
name: db
endpoints: [${endpoints.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', ')}]
healthCheck: {tcp: {}, intervalMs: ${interval}, unhealthyThreshold: 2, healthyThreshold: 1}
`);
  checker.update(config(50, [dead, live.port]));
  const down = await rec.next((x) => x.port === dead && x.health === Health.UNHEALTHY);
  assert.equal(down.reason, 'connect ECONNREFUSED');
  await rec.next((x) => x.port === live.port && x.health === Health.HEALTHY);
  assert.ok(accepted >= 1);

  // Same endpoints, another interval: no new transition, the decided health stays.
  const count = rec.all.length;
  checker.update(config(40, [dead, live.port]));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(rec.all.length, count, `no transition after an update: ${JSON.stringify(rec.all.slice(count))}`);
  assert.deepEqual(checker.states().map((s) => [s.port, s.health]).sort(), [[dead, Health.UNHEALTHY], [live.port, Health.HEALTHY]].sort());

  // The live endpoint leaves: UNKNOWN (no longer checked) and no more probes reach it.
  checker.update(config(40, [dead]));
  const gone = await rec.next((x) => x.port === live.port);
  assert.equal(gone.health, Health.UNKNOWN);
  assert.equal(gone.cause, 'removed');
  await new Promise((r) => setTimeout(r, 100));
  const after = accepted;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(accepted, after, 'a removed endpoint is not probed');
});

test('probe spacing: interval plus at most jitter_ms after the previous probe ended', { timeout: 30_000 }, async (t) => {
  const at: number[] = [];
  const up = await startUpstream((_req, res) => {
    at.push(performance.now());
    res.end();
  });
  t.after(() => up.close());
  const checker = new ActiveHealthChecker({ onTransitions: () => {} });
  t.after(() => checker.stop());
  checker.update(resources(yamlDocs(clusterYaml('j', [up.port], 'healthCheck: {http: {path: /}, intervalMs: 40, jitterMs: 60}'))));
  await until('12 probes', () => at.length >= 12, 10_000);
  checker.stop();
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  t.diagnostic(`gaps ms: ${gaps.map((g) => g.toFixed(0)).join(' ')}`);
  // Lower bound is exact (timers never fire early by more than a millisecond); the upper bound
  // allows for a loaded machine.
  for (const g of gaps) assert.ok(g >= 39, `gap ${g} shorter than the interval`);
  for (const g of gaps) assert.ok(g <= 40 + 60 + 150, `gap ${g} longer than interval + jitter + margin`);
  assert.ok(Math.max(...gaps) - Math.min(...gaps) > 5, 'jitter spreads the gaps');
});
