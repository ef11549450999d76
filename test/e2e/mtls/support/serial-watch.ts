// Watches a proxy's /certs while a test runs: every serial it showed, in order, so a test can wait
// for a number of renewals that began after some moment (a root rotation's step).
import type { SidecarProcess } from './sidecar-process.js';

export interface SerialWatch {
  /** Distinct serials seen so far, oldest first. */
  readonly serials: string[];
  stop(): void;
}

export function watchSerials(proxy: SidecarProcess, everyMs = 100): SerialWatch {
  const serials: string[] = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const c = await proxy.certs().catch(() => undefined);
      // A renewal counts once every worker holds it: only then do new connections use it.
      if (c !== undefined && c.workers.every((s) => s === c.serial) && serials.at(-1) !== c.serial) serials.push(c.serial);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { serials, stop: () => void (stopped = true) };
}
