// What one configuration change costs each process of the mesh: a control plane on the embedded store
// and a `sluice proxy --workers N` following it hold ROUTES routes; then UPDATES changes of one route
// each go through the admin API, one at a time, each waited for until the proxy ACKed it. CPU time
// (utime + stime from /proc) of the control plane, the proxy's primary and its workers over the
// updates, minus what each spends idle over as long, divided by the updates. Prints one table.
//
// The table also counts validation per update in each process: spec checks (one resource's own
// fields, validateSpec) and reference checks (one resource's pointers against a whole set:
// checkReferences, or a snapshot's consistency check). A check of the one changed route counts 1; a
// pass over the whole configuration counts about as many as it holds (1,000 routes: ~1,000). The
// processes run with SLUICE_VALIDATION_COUNT_DIR set, so each writes its counters to a file on
// SIGUSR2 (proto/src/model/validation-count-dump.ts); the bench signals every process before and
// after the updates. Nothing else of the processes changes with it: the counters exist in every build.
//
//   npm run build && node dist/test/bench/update-cost-bench.js [--routes 1000] [--updates 100] [--workers 2] [--rounds 3]
import { readFileSync } from 'node:fs';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childPids } from '../e2e/scenario/process-sockets.js';
import { freePort } from '../support/free-port.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { validationCounts } from '../support/validation-counts.js';

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
  /** Validation per update by process: spec checks, reference checks. */
  checks: Record<'controlPlane' | 'primary' | 'workers', { specs: number; references: number }>;
}

async function round(): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-update-bench-'));
  const [apiPort, discoveryPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${apiPort}`;
  const counts = join(dir, 'validation-counts');
  mkdirSync(counts);
  const env = { SLUICE_TOKEN: TOKEN, SLUICE_VALIDATION_COUNT_DIR: counts };
  const cp = new SluiceProcess(['control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--log-level', 'warn'], env);
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
    ], env);
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
    const checkedBefore = await checkCounts(counts, cp.child.pid!, primary, workers);

    const t1 = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      const put = await api(base, 'PUT', `/v1/routes/r-${i % ROUTES}`, route(i % ROUTES, 3000 + i));
      await acked(base, put.revision);
    }
    const wall = performance.now() - t1;
    const c = sample();
    const checkedAfter = await checkCounts(counts, cp.child.pid!, primary, workers);
    const idleShare = wall / Math.max(1, idleWall);
    // The idle pass polled as often as the updates did, so its whole cost is subtracted once.
    const per = (busy: number, idle: number): number => Math.max(0, busy - idle * Math.min(1, idleShare)) / UPDATES;
    return {
      controlPlaneMs: per(c.cp - b.cp, b.cp - a.cp),
      primaryMs: per(c.primary - b.primary, b.primary - a.primary),
      workersMs: per(c.workers - b.workers, b.workers - a.workers),
      updateMs: wall / UPDATES,
      checks: {
        controlPlane: perUpdate(checkedBefore.controlPlane, checkedAfter.controlPlane),
        primary: perUpdate(checkedBefore.primary, checkedAfter.primary),
        workers: perUpdate(checkedBefore.workers, checkedAfter.workers),
      },
    };
  } finally {
    await proxy?.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Checks = { specs: number; references: number };

/** Every process's validation counters; the workers' summed. */
async function checkCounts(dir: string, controlPlane: number, primary: number, workers: readonly number[]): Promise<Record<'controlPlane' | 'primary' | 'workers', Checks>> {
  const sum: Checks = { specs: 0, references: 0 };
  for (const pid of workers) {
    const w = await validationCounts(dir, pid);
    sum.specs += w.specs;
    sum.references += w.references;
  }
  return { controlPlane: await validationCounts(dir, controlPlane), primary: await validationCounts(dir, primary), workers: sum };
}

function perUpdate(before: Checks, after: Checks): Checks {
  return { specs: (after.specs - before.specs) / UPDATES, references: (after.references - before.references) / UPDATES };
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  process.stderr.write(`# round ${i + 1} of ${ROUNDS}\n`);
  rounds.push(await round());
}
const f = (pick: (r: Round) => number): string => `${median(rounds.map(pick)).toFixed(2)} (${rounds.map((r) => pick(r).toFixed(1)).join(', ')})`;
console.log(`\nOne change of one route among ${ROUTES.toLocaleString('en-US')}, ${UPDATES} changes, proxy --workers ${WORKERS} (Node ${process.version}; medians of ${ROUNDS} rounds, each round in brackets)\n`);
// Counts hardly differ between rounds: their medians are shown.
const checks = (p: 'controlPlane' | 'primary' | 'workers'): Checks => ({ specs: median(rounds.map((r) => r.checks[p].specs)), references: median(rounds.map((r) => r.checks[p].references)) });
const last = { controlPlane: checks('controlPlane'), primary: checks('primary'), workers: checks('workers') };
const n = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
console.log('| process | CPU ms per update | spec checks per update | reference checks per update |');
console.log('| --- | --: | --: | --: |');
console.log(`| control plane | ${f((r) => r.controlPlaneMs)} | ${n(last.controlPlane.specs)} | ${n(last.controlPlane.references)} |`);
console.log(`| proxy primary | ${f((r) => r.primaryMs)} | ${n(last.primary.specs)} | ${n(last.primary.references)} |`);
console.log(`| proxy workers (sum of ${WORKERS}) | ${f((r) => r.workersMs)} | ${n(last.workers.specs)} | ${n(last.workers.references)} |`);
console.log(`| wall time per update, API to ACK | ${f((r) => r.updateMs)} | | |`);
