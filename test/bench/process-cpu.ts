// CPU time of benchmarked processes, read from /proc: a server's own cost per request, whatever the
// load generator and its peers on the same machine use.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ). */
export const TICK_HZ = 100;

/** utime + stime of `pids`, in clock ticks; a process that has exited counts 0. */
export function cpuTicks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return sum;
}

/** Descendants of `pid` (an nginx master's workers; a taskset exec's nginx master and its worker). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) out.push(tid, ...childrenOf(tid));
  } catch {
    // gone
  }
  return out;
}
