// Child processes that die with the test process, even when the test runner kills it on a timeout
// (then no `after` hook runs): a detached watchdog polls our pid and kills the child once we are gone.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

export function spawnGuarded(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid !== undefined) {
    const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 0.5; done; kill -9 ${child.pid} 2>/dev/null`;
    const watchdog = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
    watchdog.unref();
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// A normal exit (even on an uncaught error) takes the children along.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
