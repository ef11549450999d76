// CPU time of benchmarked processes, read from /proc: a server's own cost per request, whatever the
// load generator and its peers on the same machine use.
import { cpuTicksOf, processTree } from '../e2e/mtls/support/process-tree.js';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ). */
export const TICK_HZ = 100;

/** utime + stime of `pids`, in clock ticks; a process that has exited counts 0. */
export function cpuTicks(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuTicksOf(pid), 0);
}

/** Descendants of `pid` (an nginx master's workers; a taskset exec's nginx master and its worker). */
export function childrenOf(pid: number): number[] {
  return processTree(pid).slice(1);
}
