// A serving process's young generation and optimized code are sized by its traffic, not by its start-up
// (startup-hold.ts): while held, a burst of allocations leaves the young generation at its initial
// size and a hot function stays unoptimized; once released, V8 grows and optimizes as it always does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { holdWhileStarting, releaseStartupHold } from '../../../data-plane/src/cli/startup-hold.js';

const MiB = 1024 * 1024;
const youngGenerationBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

// V8's own view of a function (the %GetOptimizationStatus intrinsic): bit 4 is "optimized".
setFlagsFromString('--allow-natives-syntax');
const optimizationStatus = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const OPTIMIZED = 1 << 4;

/** What loading modules and parsing a configuration look like to the GC: many objects, a good share surviving a while. */
function burst(): number {
  const live: Array<{ readonly n: number; readonly s: string }> = new Array(50_000);
  let sum = 0;
  for (let i = 0; i < 2_000_000; i++) {
    live[i % live.length] = { n: i, s: `item ${i}` };
    sum += live[(i * 7) % live.length]?.n ?? 0;
  }
  return sum;
}

/** A function as hot as a configuration decoder during start-up. */
function hot(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (i * 7) % 13;
  return s;
}

/** Calls `hot` until V8 optimized it, for at most `ms`; answers whether it did. */
function runUntilOptimized(ms: number): boolean {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (let k = 0; k < 50; k++) hot(10_000);
    if ((optimizationStatus(hot) & OPTIMIZED) !== 0) return true;
  }
  return false;
}

test('start-up garbage leaves the young generation small; traffic after release grows it', () => {
  holdWhileStarting();
  burst();
  const held = youngGenerationBytes();
  // V8's default would have doubled it to its 16 MiB maximum (two 8 MiB semi-spaces) by now.
  assert.ok(held <= 2 * MiB, `held: the young generation stays at its initial size (${held / MiB} MiB)`);
  releaseStartupHold();
  burst();
  assert.ok(youngGenerationBytes() >= 4 * held, `released: the young generation grows again (${youngGenerationBytes() / MiB} MiB, held ${held / MiB} MiB)`);
  // Idempotent: a second release (a worker applies many configurations) changes nothing.
  releaseStartupHold();
});

test('a function hot during start-up is not optimized; once released, it is', () => {
  holdWhileStarting();
  // Long enough that V8 optimizes such a function many times over when not held (within milliseconds).
  assert.equal(runUntilOptimized(1500), false, `held: still unoptimized (status ${optimizationStatus(hot)})`);
  releaseStartupHold();
  assert.equal(runUntilOptimized(10_000), true, `released: optimized (status ${optimizationStatus(hot)})`);
});
