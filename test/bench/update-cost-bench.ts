// What one configuration change costs each process of the mesh: a control plane on the embedded store
// and a `sluice proxy --workers N` following it hold ROUTES routes; then UPDATES changes of one route
// each go through the admin API, one at a time, each waited for until the proxy ACKed it. CPU time
// (utime + stime from /proc) of the control plane, the proxy's primary and its workers over the
// updates, minus what each spends idle over as long, divided by the updates. Prints one table.
//
//   npm run build && node dist/test/bench/update-cost-bench.js [--routes 1000] [--updates 100] [--workers 2] [--rounds 3]
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childPids } from '../e2e/scenario/process-sockets.js';
import { freePort } from '../support/free-port.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '1000' },
    updates: { type: 'string', default: '100' },
    workers: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROUTES = Number(values.routes);
const UPDATES = Number(values.updates);
const WORKERS = Number(values.workers);
const ROUNDS = Number(values.rounds);
const TOKEN = 'bench-token';
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU milliseconds (user + system) a process has used so far. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS;
}

const route = (i: number, timeoutMs: number) => ({
  kind: 'Route',
  name: `r-${i}`,
  hosts: [`svc-${i % 50}.example`],
  match: { pathPrefix: `/api/v${i % 7}/items/${i}/` },
  forward: { cluster: 'bench' },
  timeoutMs,
});

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ revision: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { revision: Number(res.headers.get('sluice-revision')), json: JSON.parse(text) };
}

/** Until the proxy ACKed `revision` (GET /v1/rollout, polled every 5 ms). */
async function acked(base: string, revision: number): Promise<void> {
  await until(`the proxy at revision ${revision}`, async () => {
    const r = (await api(base, 'GET', `/v1/rollout?revision=${revision}`)).json as { at: number; rejecting: number; errors: unknown[] };
    if (r.rejecting > 0) throw new Error(`the proxy rejected revision ${revision}: ${JSON.stringify(r.errors)}`);
    return r.at === 1 ? true : undefined;
  }, 30_000, 5);
}

interface Round {
  controlPlaneMs: number;
  primaryMs: number;
  workersMs: number;
  updateMs: number;
}

async function round(): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-update-bench-'));
  const [apiPort, discoveryPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${apiPort}`;
  const cp = new SluiceProcess(['control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--log-level', 'warn'], { SLUICE_TOKEN: TOKEN });
  let proxy: SluiceProcess | undefined;
  try {
    await until('the control plane', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 30_000);
    await api(base, 'PUT', '/v1/clusters/bench', { endpoints: [{ address: '127.0.0.1', port: 19081 }] });
    for (let start = 0; start < ROUTES; start += 100) {
      const docs = [];
      for (let i = start; i < Math.min(ROUTES, start + 100); i++) docs.push(route(i, 2000));
      await api(base, 'POST', '/v1/apply', { resources: docs });
    }
    proxy = new SluiceProcess([
      'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'bench', '--workers', String(WORKERS),
      '--admin-listen', '127.0.0.1:0', '--state-dir', dir,
    ], { SLUICE_TOKEN: TOKEN });
    cp.discardOutput();
    const { revision } = await api(base, 'GET', '/v1/routes/r-0');
    await acked(base, revision);
    const primary = proxy.child.pid!;
    const workers = await until(`${WORKERS} workers`, async () => {
      const pids = childPids(primary);
      return pids.length === WORKERS ? pids : undefined;
    });
    const sample = () => ({ cp: cpuMs(cp.child.pid!), primary: cpuMs(primary), workers: workers.reduce((s, p) => s + cpuMs(p), 0) });

    // Idle cost over as long as the updates take, to subtract (timers, keepalives, polling /v1/rollout).
    const t0 = performance.now();
    const a = sample();
    for (let i = 0; i < UPDATES; i++) await acked(base, revision);
    const b = sample();
    const idleWall = performance.now() - t0;

    const t1 = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      const put = await api(base, 'PUT', `/v1/routes/r-${i % ROUTES}`, route(i % ROUTES, 3000 + i));
      await acked(base, put.revision);
    }
    const wall = performance.now() - t1;
    const c = sample();
    const idleShare = wall / Math.max(1, idleWall);
    // The idle pass polled as often as the updates did, so its whole cost is subtracted once.
    const per = (busy: number, idle: number): number => Math.max(0, busy - idle * Math.min(1, idleShare)) / UPDATES;
    return {
      controlPlaneMs: per(c.cp - b.cp, b.cp - a.cp),
      primaryMs: per(c.primary - b.primary, b.primary - a.primary),
      workersMs: per(c.workers - b.workers, b.workers - a.workers),
      updateMs: wall / UPDATES,
    };
  } finally {
    await proxy?.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  process.stderr.write(`# round ${i + 1} of ${ROUNDS}\n`);
  rounds.push(await round());
}
const f = (pick: (r: Round) => number): string => `${median(rounds.map(pick)).toFixed(2)} (${rounds.map((r) => pick(r).toFixed(1)).join(', ')})`;
console.log(`\nOne change of one route among ${ROUTES.toLocaleString('en-US')}, ${UPDATES} changes, proxy --workers ${WORKERS} (Node ${process.version}; medians of ${ROUNDS} rounds, each round in brackets)\n`);
console.log('| process | CPU ms per update |');
console.log('| --- | --: |');
console.log(`| control plane | ${f((r) => r.controlPlaneMs)} |`);
console.log(`| proxy primary | ${f((r) => r.primaryMs)} |`);
console.log(`| proxy workers (sum of ${WORKERS}) | ${f((r) => r.workersMs)} |`);
console.log(`| wall time per update, API to ACK | ${f((r) => r.updateMs)} |`);
