// The end of a benchmark script: runs its main, then, whatever happened, its cleanups (the servers it
// started, last first) and removes its temporary folder; exits once done, so no timer keeps it alive.
import { rmSync } from 'node:fs';

export async function runBench(dir: string, cleanups: Array<() => unknown>, main: () => Promise<void>): Promise<never> {
  try {
    await main();
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
