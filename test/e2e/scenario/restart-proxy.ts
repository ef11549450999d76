// The scenario's zero-downtime proxy restart, one function so the way it is done can change in one
// place. SIGHUP to the proxy's primary replaces the workers one by one with freshly loaded
// code while the primary keeps the listening sockets. A build without that (its `--help` does not
// mention SIGHUP or reload) gets the closest thing it has: each worker in turn is sent SIGTERM, drains,
// and the primary forks its replacement.
import { childPids } from './process-sockets.js';
import { proxyHelp, type Proxy } from './mesh-processes.js';
import { until } from '../../support/until.js';

export interface RestartResult {
  readonly how: 'SIGHUP' | 'worker SIGTERM';
  readonly oldWorkers: readonly number[];
  readonly newWorkers: readonly number[];
  readonly ms: number;
}


export async function restartProxy(proxy: Proxy, timeoutMs = 30_000): Promise<RestartResult> {
  const started = Date.now();
  const oldWorkers = childPids(proxy.pid);
  const help = await proxyHelp();
  const how = /SIGHUP|reload/i.test(help) ? 'SIGHUP' : 'worker SIGTERM';
  if (how === 'SIGHUP') {
    process.kill(proxy.pid, 'SIGHUP');
  } else {
    for (const pid of oldWorkers) {
      const before = new Set(childPids(proxy.pid));
      process.kill(pid, 'SIGTERM');
      // The next one only once this one's replacement is there: one worker serves meanwhile.
      await until(`a replacement for worker ${pid} of ${proxy.nodeId}`, () => childPids(proxy.pid).some((p) => !before.has(p)), started + timeoutMs - Date.now());
    }
  }
  await until(`every worker of ${proxy.nodeId} replaced`, () => {
    const now = childPids(proxy.pid);
    return now.length >= oldWorkers.length && now.every((p) => !oldWorkers.includes(p));
  }, started + timeoutMs - Date.now());
  if (proxy.process.child.exitCode !== null || proxy.process.child.signalCode !== null) throw new Error(`${proxy.nodeId} exited during its restart:\n${proxy.process.stdout.slice(-2000)}\n${proxy.process.stderr.slice(-2000)}`);
  return { how, oldWorkers, newWorkers: childPids(proxy.pid), ms: Date.now() - started };
}
