// A killable upstream for the failover runs: a node:http server in a process of its own, so the run
// can kill it with SIGKILL as a crash would (the kernel resets its connections and refuses new ones).
//   node dist/test/e2e/failover/upstream-process.js NAME  → prints `listening PORT` once it listens
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const name = process.argv[2] ?? 'upstream';
const body = Buffer.from(name);
// Long keep-alive: the proxy's pooled connections are closed by the kill, never by the upstream.
const server = createServer({ keepAliveTimeout: 120_000 }, (_req, res) => {
  res.writeHead(200, { 'content-length': body.length, 'content-type': 'text/plain' });
  res.end(body);
});
server.listen(0, '127.0.0.1', 1024, () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
// The run's end (or the test process's watchdog) stops it; no stdin: nothing else to wait for.
process.on('SIGTERM', () => process.exit(0));
