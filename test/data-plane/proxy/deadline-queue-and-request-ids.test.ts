// The per-request helpers that replace a Timeout and crypto.randomUUID on the hot path: the deadline
// queue fires each deadline once, in deadline order, never a removed one, and re-arms for a deadline
// earlier than all others; request ids are version 4 UUIDs, all different.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineQueue, type Deadline } from '../../../data-plane/src/proxy/deadline-queue.js';
import { newRequestId } from '../../../data-plane/src/proxy/request-id.js';

function deadline(name: string, fired: Array<{ name: string; lateMs: number }>): Deadline {
  const d: Deadline = {
    deadlineAt: 0,
    prevDeadline: undefined,
    nextDeadline: undefined,
    queued: false,
    onDeadline: () => fired.push({ name, lateMs: performance.now() - d.deadlineAt }),
  };
  return d;
}

test('deadlines fire once each, in deadline order, none early; removed ones never fire', async () => {
  const queue = new DeadlineQueue();
  const fired: Array<{ name: string; lateMs: number }> = [];
  const a = deadline('a', fired);
  const b = deadline('b', fired);
  const c = deadline('c', fired);
  const d = deadline('d', fired);
  queue.add(a, 60);
  queue.add(b, 80);
  queue.add(c, 100);
  // Earlier than every other, added last: the timer is re-armed for it.
  queue.add(d, 20);
  queue.remove(b);
  // A removed deadline is forgotten; removing twice is harmless.
  queue.remove(b);
  await sleep(200);
  assert.deepEqual(fired.map((f) => f.name), ['d', 'a', 'c']);
  for (const f of fired) assert.ok(f.lateMs >= 0 && f.lateMs < 1000, `${f.name} fired ${f.lateMs} ms after its deadline`);
  assert.equal(a.queued || c.queued || d.queued, false);
});

test('a deadline added again replaces its first one; the head removed before its time fires nothing', async () => {
  const queue = new DeadlineQueue();
  const fired: Array<{ name: string; lateMs: number }> = [];
  const a = deadline('a', fired);
  const b = deadline('b', fired);
  queue.add(a, 10);
  queue.add(a, 400);
  queue.add(b, 300);
  await sleep(100);
  assert.equal(fired.length, 0);
  queue.remove(b);
  await sleep(500);
  assert.deepEqual(fired.map((f) => f.name), ['a']);
});

test('request ids are version 4 UUIDs, all different across several random batches', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = newRequestId();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
});
