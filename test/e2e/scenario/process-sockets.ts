// What a process holds, read from /proc: the TCP ports it listens on (a proxy's listeners on port 0
// are bound by its cluster primary, which accepts for the workers) and its child processes (the
// workers, to see them replaced).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
}

/** IPv4 LISTEN sockets owned by `pid` (from /proc/PID/fd and /proc/net/tcp). */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: ListeningSocket[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
    const [hexAddr, hexPort] = f[1]!.split(':') as [string, string];
    // /proc/net/tcp writes the IPv4 address as a little-endian 32-bit word.
    const bytes = [0, 2, 4, 6].map((i) => parseInt(hexAddr.slice(i, i + 2), 16)).reverse();
    out.push({ address: bytes.join('.'), port: parseInt(hexPort, 16) });
  }
  return out;
}

/** The port `pid` listens on at `address`, if any. */
export function listeningPort(pid: number, address: string): number | undefined {
  return listeningSockets(pid).find((s) => s.address === address)?.port;
}

/** Direct children of `pid` (from /proc/*\/stat). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
