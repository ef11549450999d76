// The control plane's own checker against real HTTP upstreams on 127.0.0.1: it probes only
// while its election leads, writes transitions only (one write per transition, not per probe), and stops
// at once when a fenced write is refused. The election and the write are seams we own: plain functions.
import { afterEach, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { HealthCheckSchema, type HealthCheck } from '../../proto/gen/sluice/v1/cluster_pb.js';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { ControlPlaneChecker, type CheckTarget, type HealthTransition } from '../../control-plane/src/health/control-plane-checker.js';
import type { Fence } from '../../control-plane/src/store/fence.js';
import { startUpstream, type FakeUpstream } from '../data-plane/helpers/fake-upstream.js';
import { until } from '../support/until.js';

/** The election as the checker sees it, driven by the test. */
class TestElection {
  fence: Fence | undefined;
  readonly deposedWith: Fence[] = [];
  private readonly listeners = new Set<(f: Fence | undefined) => void>();
  onChange(l: (f: Fence | undefined) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(fence: Fence | undefined): void {
    this.fence = fence;
    for (const l of this.listeners) l(fence);
  }
  deposed(fence: Fence): void {
    this.deposedWith.push(fence);
    this.set(undefined);
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An upstream whose /healthz answers `status` (200 or 503 as the test sets it); counts probes. */
async function upstream(): Promise<{ port: number; status: number; probes: () => number; close: () => Promise<void> }> {
  const u: FakeUpstream = await startUpstream((req, res) => {
    res.writeHead(req.url === '/healthz' ? handle.status : 404);
    res.end();
  });
  const handle = { port: u.port, status: 200, probes: () => u.seen.filter((r) => r.url === '/healthz').length, close: () => u.close() };
  cleanups.push(() => u.close());
  return handle;
}

function httpCheck(overrides: MessageInitShape<typeof HealthCheckSchema> = {}): HealthCheck {
  return create(HealthCheckSchema, { check: { case: 'http', value: { path: '/healthz' } }, intervalMs: 40, timeoutMs: 30, unhealthyThreshold: 2, healthyThreshold: 2, ...overrides });
}

function checker(targets: () => CheckTarget[], election: TestElection, write: (t: HealthTransition, f: Fence) => Promise<boolean>): ControlPlaneChecker {
  const c = new ControlPlaneChecker({ targets, write, election, refreshMs: 50 });
  cleanups.push(() => c.stop());
  c.start();
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('only a leader probes; each transition is written once, however many probes confirm it', async (t: TestContext) => {
  const u = await upstream();
  const election = new TestElection();
  const writes: HealthTransition[] = [];
  const c = checker(() => [{ cluster: 'web', address: '127.0.0.1', port: u.port, check: httpCheck() }], election, async (tr) => {
    writes.push(tr);
    return true;
  });
  await sleep(300);
  assert.equal(u.probes(), 0, 'a follower probes nothing');
  assert.equal(c.checking, 0);

  const fence = { key: '/sluice/leader/health-checker', createRevision: 7 };
  election.set(fence);
  await until('HEALTHY written', () => writes.length === 1, 5_000, 10);
  assert.equal(writes[0]!.health, Health.HEALTHY);
  await until('more probes confirm it', () => u.probes() >= 8, 5_000, 10);
  assert.equal(writes.length, 1, 'confirming probes write nothing');

  u.status = 503;
  await until('UNHEALTHY written', () => writes.length === 2, 5_000, 10);
  assert.deepEqual({ health: writes[1]!.health, reason: writes[1]!.reason }, { health: Health.UNHEALTHY, reason: 'http 503' });
  u.status = 200;
  await until('HEALTHY again', () => writes.length === 3, 5_000, 10);
  assert.equal(writes[2]!.health, Health.HEALTHY);
  const probes = u.probes();
  await sleep(300);
  assert.equal(writes.length, 3, `${u.probes() - probes} more probes, no more writes`);
  t.diagnostic(`${u.probes()} probes, ${writes.length} writes (3 transitions)`);

  election.set(undefined);
  await sleep(100);
  const afterStepDown = u.probes();
  await sleep(300);
  assert.equal(u.probes(), afterStepDown, 'a replica that stepped down probes nothing');
});

test('a write refused by the fence stops the checks and reports the deposition', async () => {
  const u = await upstream();
  u.status = 503;
  const election = new TestElection();
  let attempts = 0;
  checker(() => [{ cluster: 'web', address: '127.0.0.1', port: u.port, check: httpCheck() }], election, async () => {
    attempts += 1;
    return false;
  });
  const fence = { key: '/sluice/leader/health-checker', createRevision: 3 };
  election.set(fence);
  await until('deposed', () => election.deposedWith.length === 1, 5_000, 10);
  assert.deepEqual(election.deposedWith[0], fence);
  const probes = u.probes();
  await sleep(300);
  assert.equal(u.probes(), probes, 'no probe after the refused write');
  assert.equal(attempts, 1);
});

// The previous leader's entry lives under that replica's health lease and goes with it, so the new
// leader writes the verdict once under its own (that handover with real processes: checker-verdict-survives-old-leader.test.ts).
test('a previous leader\'s verdict is the start: written once under the new term, then transitions only', async () => {
  const u = await upstream();
  u.status = 503;
  const election = new TestElection();
  const writes: HealthTransition[] = [];
  checker(() => [{ cluster: 'web', address: '127.0.0.1', port: u.port, check: httpCheck(), known: Health.UNHEALTHY }], election, async (tr) => {
    writes.push(tr);
    return true;
  });
  election.set({ key: '/sluice/leader/health-checker', createRevision: 9 });
  await until('several probes', () => u.probes() >= 6, 5_000, 10);
  assert.deepEqual(writes.map((w) => w.health), [Health.UNHEALTHY], 'still UNHEALTHY: written once, under this term');
  u.status = 200;
  await until('HEALTHY written', () => writes.length === 2, 5_000, 10);
  assert.equal(writes[1]!.health, Health.HEALTHY);
});

test('a closed port is UNHEALTHY after unhealthyThreshold failures; a store outage is retried after the next probe', async () => {
  const u = await upstream();
  const port = u.port;
  await u.close();
  const election = new TestElection();
  const writes: HealthTransition[] = [];
  let failNext = 1;
  checker(() => [{ cluster: 'db', address: '127.0.0.1', port, check: httpCheck({ check: { case: 'tcp', value: {} }, unhealthyThreshold: 3 }) }], election, async (tr) => {
    if (failNext-- > 0) throw new Error('etcd is unavailable');
    writes.push(tr);
    return true;
  });
  election.set({ key: '/sluice/leader/health-checker', createRevision: 11 });
  await until('UNHEALTHY written after the failed attempt', () => writes.length === 1, 5_000, 10);
  assert.equal(writes[0]!.health, Health.UNHEALTHY);
  assert.match(writes[0]!.reason, /ECONNREFUSED/);
  await sleep(300);
  assert.equal(writes.length, 1);
});

test('endpoints leave and join with targets(): a dropped target is probed no more', async () => {
  const a = await upstream();
  const b = await upstream();
  const election = new TestElection();
  let names = [a.port];
  checker(() => names.map((port) => ({ cluster: 'web', address: '127.0.0.1', port, check: httpCheck() })), election, async () => true);
  election.set({ key: '/sluice/leader/health-checker', createRevision: 12 });
  await until('a probed', () => a.probes() >= 2, 5_000, 10);
  assert.equal(b.probes(), 0);
  names = [b.port];
  await until('b probed', () => b.probes() >= 2, 5_000, 10);
  await sleep(100);
  const aProbes = a.probes();
  await sleep(300);
  assert.equal(a.probes(), aProbes);
});
