// How many client connections one proxy process may hold open: its share of the file-descriptor limit
// (RLIMIT_NOFILE), so that accept() never meets EMFILE and every admitted client can still get an
// upstream connection. Each process (every worker) reads its own limit and counts its own connections.
import { readFileSync } from 'node:fs';

/**
 * Descriptors kept for what is not a client connection nor its upstream: stdio, the listening and
 * admin sockets, the workers' IPC channels, epoll and libuv's own, DNS, logs, the discovery stream.
 */
export const RESERVED_FDS = 64;

/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits; undefined when it cannot be read (not Linux) or is unlimited. */
export function openFilesLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'latin1');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Client connections this process admits over all its listeners: half of what is left after
 * RESERVED_FDS, since each client connection may need an upstream connection of its own (an
 * HTTP/1.1 pool holds one per request in flight); at least 16. Unknown limit: no cap.
 */
export function downstreamConnectionBudget(limit = openFilesLimit()): number {
  if (limit === undefined) return Number.MAX_SAFE_INTEGER;
  return Math.max(16, Math.floor((limit - RESERVED_FDS) / 2));
}
