// Keeps V8's young generation at its initial size while a proxy process starts. Loading the proxy's
// modules and applying its first configuration allocate a burst of short-lived objects; V8 answers
// such a burst by doubling the young generation up to its 16 MiB maximum, and an idle process keeps it
// at that size (only V8's memory reducer, after an unpredictable idle period, shrinks it back). That
// was about 5 MiB of every serving process's idle RSS for garbage that is gone once it serves.
// V8 reads --semi-space-growth-factor each time it grows the young generation, so holding it at 1
// during start-up and restoring the default once the process serves leaves a young generation that
// load, not start-up, sizes: under traffic it grows exactly as before (the hot path is unchanged).
import { setFlagsFromString } from 'node:v8';

/** V8's own default (`node --v8-options`): what a serving process grows its young generation by. */
const DEFAULT_GROWTH_FACTOR = 2;

let held = false;

/** From process start until `releaseYoungGeneration`: start-up garbage does not grow the young generation. */
export function holdYoungGenerationWhileStarting(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  held = true;
}

/** The process serves: traffic may grow the young generation again. Idempotent. */
export function releaseYoungGeneration(): void {
  if (!held) return;
  held = false;
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
