// Two V8 settings held while a proxy process starts, released once it serves. Loading the proxy's
// modules and applying its first configuration is a burst of work that a serving process never repeats,
// and V8 sizes itself to it for good:
// - The young generation. The burst's short-lived objects make V8 double the young generation up to
//   its 16 MiB maximum, and an idle process keeps it at that size (only V8's memory reducer, after an
//   unpredictable idle period, shrinks it back): about 5 MiB of every serving process's idle RSS.
//   --semi-space-growth-factor is held at 1.
// - The optimizing compiler. Functions hot only during start-up (decoding, validating and compiling
//   the configuration) get optimized by TurboFan, which pages in the compiler's own code and keeps the
//   optimized code: about 5 MiB of idle RSS for code that will not run again. --turbofan is held off.
// V8 reads both flags each time it decides (to grow the young generation, to optimize a function), so
// restoring the defaults once the process serves leaves a process that traffic, not start-up, sizes:
// under traffic both work exactly as before (the hot path is unchanged). The price is start-up time
// with large configurations, decoded unoptimized: 10,000 routes about 2 s to ready instead of 1.2.
import { setFlagsFromString } from 'node:v8';

/** V8's own default (`node --v8-options`): what a serving process grows its young generation by. */
const DEFAULT_GROWTH_FACTOR = 2;

let held = false;

/** From process start until `releaseStartupHold`: start-up work sizes neither the young generation nor the optimized code. */
export function holdWhileStarting(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-turbofan');
  held = true;
}

/** The process serves: traffic may grow the young generation and optimize again. Idempotent. */
export function releaseStartupHold(): void {
  if (!held) return;
  held = false;
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  setFlagsFromString('--turbofan');
}
