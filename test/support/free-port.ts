// A free TCP port on 127.0.0.1, for servers that must be told their port before they start (etcd, a
// restarted control plane that keeps its address).
//
// Port 0 would hand out a port from the kernel's ephemeral range, the same range every outgoing
// connection's local port comes from: between our close and the server's listen, any client in any
// test file running alongside could take it as its source port, and the server fails with
// EADDRINUSE. So the port is drawn at random from below that range, checked by binding it, and never
// handed out twice by one process. Test files run in parallel processes, which could draw the same
// port and both find it free before either server binds it: each port handed out is also reserved
// for RESERVATION_MS by a file only one process can create.
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOWEST = 20_000;
const handedOut = new Set<number>();
const RESERVATIONS = join(tmpdir(), 'sluice-test-ports');
/** Longer than a test file runs; a reservation older than this is taken over. */
const RESERVATION_MS = 15 * 60_000;

function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > LOWEST + 1_000) return low;
  } catch {
    // not Linux: fall back to the IANA dynamic range's start
  }
  return 32_768;
}

const highest = ephemeralRangeStart() - 1;

async function bindable(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** False when another process reserved `port` lately; when reservations cannot be kept at all, the bind check alone decides. */
function reserve(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  try {
    mkdirSync(RESERVATIONS, { recursive: true });
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true;
  }
  try {
    if (Date.now() - statSync(file).mtimeMs < RESERVATION_MS) return false;
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // removed meanwhile: free
  }
  return true;
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (reserve(port) && (await bindable(port))) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${highest} after 200 tries`);
}
