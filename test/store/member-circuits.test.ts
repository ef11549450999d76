// The per-member circuits of the etcd client: a member that faulted is passed over for a pause, one
// probe at a time tries it again, and when every member's circuit is open none holds calls back, so
// the first call after a whole-cluster outage reaches etcd at once instead of after a circuit's pause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBrokenCircuitError } from 'cockatiel';
import { MemberCircuits } from '../../control-plane/src/store/etcd-member-circuits.js';

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const unavailable = (): Error => new Error('14 UNAVAILABLE: No connection established');
const notFound = (): Error => new Error('5 NOT_FOUND: requested lease not found');

/** Runs one call through `policy`: 'ran' when it reached the member, 'held back' when the circuit refused it. */
async function call(policy: ReturnType<MemberCircuits['policyFor']>, outcome: 'ok' | (() => Error) = 'ok'): Promise<'ran' | 'held back'> {
  let ran = false;
  try {
    await policy.execute(() => {
      ran = true;
      if (outcome !== 'ok') throw outcome();
      return 'answer';
    });
  } catch (err) {
    if (isBrokenCircuitError(err)) {
      assert.equal(ran, false);
      return 'held back';
    }
  }
  assert.equal(ran, true);
  return 'ran';
}

test('a member fault holds calls away from that member only, for the pause; an answer closes it', async () => {
  const clock = manualClock();
  const circuits = new MemberCircuits({ minOpenMs: 200, maxOpenMs: 800, now: clock.now });
  const a = circuits.policyFor('a');
  const b = circuits.policyFor('b');
  assert.equal(await call(a, unavailable), 'ran');
  assert.equal(await call(a), 'held back', 'a faulted: held back');
  assert.equal(await call(b), 'ran', 'b is not affected');
  clock.advance(199);
  assert.equal(await call(a), 'held back', 'still within the pause');
  clock.advance(1);
  assert.equal(await call(a), 'ran', 'after the pause a probe goes through');
  assert.equal(await call(a), 'ran', 'the probe answered: closed');
});

test('an error that is an answer (not UNAVAILABLE or DEADLINE_EXCEEDED) does not open the circuit', async () => {
  const circuits = new MemberCircuits();
  const a = circuits.policyFor('a');
  circuits.policyFor('b');
  assert.equal(await call(a, notFound), 'ran');
  assert.equal(await call(a), 'ran');
});

test('one probe at a time: while it is under way, other calls keep away from the member', async () => {
  const clock = manualClock();
  const circuits = new MemberCircuits({ minOpenMs: 50, maxOpenMs: 50, now: clock.now });
  const a = circuits.policyFor('a');
  circuits.policyFor('b');
  await call(a, unavailable);
  clock.advance(50);
  let release!: () => void;
  const probe = a.execute(() => new Promise<void>((resolve) => (release = resolve)));
  assert.equal(await call(a), 'held back', 'a second call during the probe');
  release();
  await probe;
  assert.equal(await call(a), 'ran');
});

test('every circuit open: calls go through anyway (panic), and the member that answers is closed again', async () => {
  const circuits = new MemberCircuits({ minOpenMs: 5000, maxOpenMs: 5000, now: manualClock().now });
  const members = ['a', 'b', 'c'].map((m) => circuits.policyFor(m));
  for (const m of members.slice(0, 2)) await call(m, unavailable);
  assert.equal(await call(members[0]!), 'held back', 'c still takes calls: a is held back');
  await call(members[2]!, unavailable);
  assert.equal(circuits.panicking(), true);
  assert.equal(await call(members[1]!), 'ran', 'every member open: none holds the call back');
  assert.equal(circuits.panicking(), false, 'b answered: closed');
  assert.equal(await call(members[1]!), 'ran');
  assert.equal(await call(members[0]!), 'held back', 'with b closed again, a waits for its pause');
});

test('the pause doubles while probes keep failing, up to its longest, and starts over after an answer', async () => {
  const clock = manualClock();
  const circuits = new MemberCircuits({ minOpenMs: 40, maxOpenMs: 100, now: clock.now });
  const a = circuits.policyFor('a');
  circuits.policyFor('b');
  /** How long `a` stays held back from now, in steps of 1 ms, up to 1 s. */
  const pause = async (): Promise<number> => {
    for (let waited = 0; waited < 1000; waited++, clock.advance(1)) {
      if ((await call(a, () => new Error('14 UNAVAILABLE: still down'))) === 'ran') return waited;
    }
    return Infinity;
  };
  await call(a, unavailable);
  // Each probe fails, so the next pause starts where the last ended.
  assert.deepEqual([await pause(), await pause(), await pause(), await pause()], [40, 80, 100, 100]);
  clock.advance(100);
  assert.equal(await call(a), 'ran', 'the probe answers: closed');
  await call(a, unavailable);
  assert.equal(await pause(), 40, 'after an answer the pause starts again from the shortest');
});
