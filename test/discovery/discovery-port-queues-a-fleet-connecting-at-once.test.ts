// A fleet reconnecting at once (a control-plane restart, a replica failing over) must find room in
// the discovery port's accept queue while the replica's event loop is busy: a connection the kernel
// cannot queue is dropped and its proxy waits out TCP's SYN retransmission (a second, then three,
// then seven), however idle the replica is by then. grpc-js's own bindAsync listens with Node's
// default backlog of 511.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DISCOVERY_ACCEPT_BACKLOG } from '../../control-plane/src/discovery/grpc-listener.js';
import { startMesh, type Replica } from './support/discovery-fixture.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
});

after(async () => {
  await mesh?.stop();
});

const BURST = 1500;

/** Opens `count` connections at once; prints how many completed their handshake within 700 ms. */
const CONNECTOR = `
const net = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const sockets = [];
let connected = 0;
process.stdout.write('ready\\n');
setTimeout(() => {
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1', () => { if (Date.now() - start <= 700) connected++; });
    s.on('error', () => {});
    sockets.push(s);
  }
  setTimeout(() => {
    process.stdout.write(JSON.stringify({ connected }) + '\\n');
    for (const s of sockets) s.destroy();
    process.exit(0);
  }, 800);
}, 200);
`;

test(`the discovery port queues ${BURST} connections that arrive while the control plane is busy`, { timeout: 30_000 }, async () => {
  const port = Number(cp.address.slice(cp.address.lastIndexOf(':') + 1));
  // The queue the kernel keeps for the listening socket: ss shows it as a LISTEN socket's Send-Q.
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  const listening = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim().split(/\s+/);
  assert.equal(Number(listening[2]), Math.min(DISCOVERY_ACCEPT_BACKLOG, somaxconn), `ss: ${listening.join(' ')}`);

  const child = spawn(process.execPath, ['-e', CONNECTOR, String(port), String(BURST)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  await new Promise<void>((resolve) => {
    const onData = (): void => {
      if (!out.includes('ready')) return;
      child.stdout.off('data', onData);
      resolve();
    };
    child.stdout.on('data', onData);
  });
  // This process is the control plane: busy for 1.5 s while the burst arrives, it accepts nothing.
  const until = Date.now() + 1500;
  while (Date.now() < until) {
    // busy
  }
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const { connected } = JSON.parse(out.trim().split('\n').pop()!) as { connected: number };
  assert.equal(connected, Math.min(BURST, somaxconn), `${connected} of ${BURST} connections completed their handshake within 700 ms`);
});
