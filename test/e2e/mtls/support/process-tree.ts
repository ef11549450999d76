// What /proc says about a process and its descendants (a `sluice proxy` primary and its workers): the
// TCP ports they listen on, which is how a test learns the ports a proxy bound on port 0, and the CPU
// time they used, which is how the benchmark charges a proxy for its work.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** `pid` and every live descendant (children as each thread of each process lists them). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // exited
    }
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c !== '' && !out.includes(Number(c))) out.push(Number(c));
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

/** The ports on which the tree of `pid` has TCP sockets in LISTEN, ascending. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const p of processTree(pid)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m !== null) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // Columns: sl, local address (hex ip:port), remote address, state (0A = LISTEN), ..., inode (10th).
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      ports.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** User plus system CPU seconds of the live processes of the tree of `pid`. */
export function cpuSeconds(pid: number, ticksPerSecond = 100): number {
  return processTree(pid).reduce((sum, p) => sum + cpuTicksOf(p), 0) / ticksPerSecond;
}

/** utime + stime of one process in clock ticks (USER_HZ); 0 once it has exited. */
export function cpuTicksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0; // exited
  }
}

/** Pins every thread of every process of the tree of `pid` to `core` (taskset). */
export function pinTree(pid: number, core: number): void {
  for (const p of processTree(pid)) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(p)], { stdio: 'ignore' });
}
