// A serving process's young generation is sized by its traffic, not by the garbage of its start-up
// (startup-young-generation.ts): the same burst of allocations leaves it at its initial size while
// held, and grows it as V8 always does once released.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { holdYoungGenerationWhileStarting, releaseYoungGeneration } from '../../../data-plane/src/cli/startup-young-generation.js';

const MiB = 1024 * 1024;
const youngGenerationBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

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

test('start-up garbage leaves the young generation small; traffic after release grows it', () => {
  holdYoungGenerationWhileStarting();
  burst();
  const held = youngGenerationBytes();
  // V8's default would have doubled it to its 16 MiB maximum (two 8 MiB semi-spaces) by now.
  assert.ok(held <= 2 * MiB, `held: the young generation stays at its initial size (${held / MiB} MiB)`);
  releaseYoungGeneration();
  burst();
  assert.ok(youngGenerationBytes() >= 4 * held, `released: the young generation grows again (${youngGenerationBytes() / MiB} MiB, held ${held / MiB} MiB)`);
  // Idempotent: a second release (a worker applies many configurations) changes nothing.
  releaseYoungGeneration();
});
