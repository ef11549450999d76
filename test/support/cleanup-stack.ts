// Cleanups for a test that starts several things: run when the test ends, last started first (a
// proxy before its control plane, etcd last), each one's failure ignored so that the rest still run.
import type { TestContext } from 'node:test';

export type AddCleanup = (cleanup: () => unknown) => void;

export function cleanupStack(t: TestContext): AddCleanup {
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
  });
  return (cleanup) => void cleanups.push(cleanup);
}
