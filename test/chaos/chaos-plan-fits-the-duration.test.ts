// The chaos run's schedule (chaos-schedule.ts): the default 3 minutes kill each etcd member in turn;
// a shorter run keeps every event but kills one member; slots never overlap and fit the duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_DURATION_MS, MIN_SLOT_MS, planChaos } from './chaos-schedule.js';

test('3 minutes: every event, each etcd member in turn, in slots of at least MIN_SLOT_MS', () => {
  const plan = planChaos(180_000);
  const names = plan.events.map((e) => [e.kind, e.member, e.upstream?.name].filter((x) => x !== undefined).join(' '));
  assert.deepEqual(names, ['upstream web-a2', 'upstream pool-2', 'replica', 'etcd-member 0', 'etcd-member 1', 'etcd-member 2', 'compaction', 'worker']);
  for (const [i, e] of plan.events.entries()) {
    assert.ok(e.slotMs >= MIN_SLOT_MS, `slot ${e.slotMs}`);
    assert.ok(e.downMs < e.slotMs);
    if (i > 0) assert.equal(e.atMs, plan.events[i - 1]!.atMs + plan.events[i - 1]!.slotMs);
  }
  const last = plan.events.at(-1)!;
  assert.ok(last.atMs + last.slotMs + plan.settleMs <= plan.durationMs);
});

test('90 s: one etcd member; too short a run is refused', () => {
  assert.deepEqual(planChaos(90_000).events.map((e) => e.kind), ['upstream', 'upstream', 'replica', 'etcd-member', 'compaction', 'worker']);
  assert.equal(planChaos(MIN_DURATION_MS).events.length, 6);
  assert.throws(() => planChaos(MIN_DURATION_MS - 1000), RangeError);
});
