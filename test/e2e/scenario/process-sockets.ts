// What a process holds, read from /proc: the TCP ports it listens on (a proxy's listeners on port 0
// are bound by its cluster primary, which accepts for the workers), the connections it accepted (a
// worker's, to know whose requests its death takes along) and its child processes (the workers, to
// see them replaced).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
}

interface TcpSocket {
  /** /proc/net/tcp's state: 0A LISTEN, 01 ESTABLISHED. */
  readonly state: string;
  readonly local: ListeningSocket;
  readonly remote: ListeningSocket;
}

/** `0100007F:1F90` → 127.0.0.1:8080 (/proc/net/tcp writes the IPv4 address as a little-endian word). */
function parseEndpoint(hex: string): ListeningSocket {
  const [hexAddr, hexPort] = hex.split(':') as [string, string];
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hexAddr.slice(i, i + 2), 16)).reverse();
  return { address: bytes.join('.'), port: parseInt(hexPort, 16) };
}

/** IPv4 TCP sockets owned by `pid` (from /proc/PID/fd and /proc/net/tcp). */
function tcpSockets(pid: number): TcpSocket[] {
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
  const out: TcpSocket[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !inodes.has(f[9]!)) continue;
    out.push({ state: f[3]!, local: parseEndpoint(f[1]!), remote: parseEndpoint(f[2]!) });
  }
  return out;
}

/** IPv4 LISTEN sockets owned by `pid`. */
export function listeningSockets(pid: number): ListeningSocket[] {
  return tcpSockets(pid).filter((s) => s.state === '0A').map((s) => s.local);
}

/**
 * The client ports of the connections `pid` accepted on `addresses` (a proxy worker's downstream
 * connections; its upstream ones are left out): on one host they are the clients' local ports.
 */
export function acceptedClientPorts(pid: number, addresses: readonly string[]): number[] {
  // ESTABLISHED, or CLOSE_WAIT (the client closed its side; the worker still holds it).
  return tcpSockets(pid).filter((s) => (s.state === '01' || s.state === '08') && addresses.includes(s.local.address)).map((s) => s.remote.port);
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
