// etcd failover benchmark: the built `sluice control-plane` on a three-member etcd, given all three
// endpoints; applies run back to back through the admin API while each member in turn is SIGKILLed
// and restarted, then the leader (the costly case: a new etcd leader is elected) a few times more.
// Prints apply latency p50/p99/max and ok/failed counts per phase: steady state, each member down,
// each member rejoining.
//
//   npm run build && flock /tmp/sluice-load.lock node dist/test/bench/etcd-failover-bench.js \
//     [--steady-s 5] [--down-s 4] [--up-s 3] [--leader-kills 2] [--clients 1] [--sluice-bin PATH]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { freePort } from '../support/free-port.js';
import { stopChild, spawnGuarded } from '../support/process-guard.js';
import { SLUICE_BIN } from '../support/run-sluice.js';
import { until } from '../support/until.js';

const { values } = parseArgs({
  options: {
    'steady-s': { type: 'string', default: '5' },
    'down-s': { type: 'string', default: '4' },
    'up-s': { type: 'string', default: '3' },
    'leader-kills': { type: 'string', default: '2' },
    clients: { type: 'string', default: '1' },
    // Another build of the CLI, to measure a former version the same way.
    'sluice-bin': { type: 'string' },
  },
});
const steadyMs = Number(values['steady-s']) * 1000;
const downMs = Number(values['down-s']) * 1000;
const upMs = Number(values['up-s']) * 1000;
const leaderKills = Number(values['leader-kills']);
const clients = Number(values.clients);

interface Sample {
  /** The phase the apply ended in: one in flight when a member is killed counts for its failover. */
  readonly phase: string;
  /** When the apply ended, ms since that phase began. */
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly detail?: string;
}

const token = randomBytes(16).toString('hex');
const etcd = await EtcdCluster.start(3);
const apiPort = await freePort();
const discoveryPort = await freePort();
const args = ['control-plane', '--etcd', etcd.endpoints.join(','), '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--log-level', 'warn'];
// Another build (--sluice-bin) runs the same way, to measure a former version for comparison.
const bin = values['sluice-bin'] ?? SLUICE_BIN;
const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_TOKEN: token };
const controlPlane = spawnGuarded(process.execPath, [bin, ...args], { env });
let output = '';
controlPlane.stdout?.on('data', (c: Buffer) => (output += c.toString()));
controlPlane.stderr?.on('data', (c: Buffer) => (output += c.toString()));
const api = `http://127.0.0.1:${apiPort}`;
await until('the control plane to be ready', async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined), 30_000);

const samples: Sample[] = [];
let phase = 'warm-up';
let phaseStartedAt = performance.now();
let stopping = false;
async function client(id: number): Promise<void> {
  for (let port = 10_000; !stopping; port++) {
    const started = performance.now();
    let ok = false;
    let detail: string | undefined;
    try {
      const res = await fetch(`${api}/v1/apply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ resources: [{ kind: 'Cluster', name: `bench-${id}`, endpoints: [{ address: '127.0.0.1', port: port % 60_000 }] }] }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      ok = res.status === 200;
      if (!ok) detail = `${res.status} ${text.slice(0, 200)}`;
    } catch (err) {
      detail = (err as Error).message;
    }
    const ended = performance.now();
    samples.push({ phase, at: ended - phaseStartedAt, ms: ended - started, ok, ...(detail === undefined ? {} : { detail }) });
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = Promise.all(Array.from({ length: clients }, (_, i) => client(i)));

const phases: string[] = [];
function enter(name: string): void {
  phase = name;
  phaseStartedAt = performance.now();
  phases.push(name);
}
async function failover(member: number, label: string): Promise<void> {
  enter(`${label}: down`);
  await etcd.killMember(member);
  await sleep(downMs);
  enter(`${label}: restarting`);
  await etcd.restartMember(member);
  enter(`${label}: rejoined`);
  await sleep(upMs);
}

await sleep(1000); // warm-up, not reported
enter('steady state');
await sleep(steadyMs);
for (const member of [0, 1, 2]) {
  const leads = (await etcd.leaderIndex()) === member;
  await failover(member, `m${member} killed (${leads ? 'leader' : 'follower'})`);
}
for (let k = 1; k <= leaderKills; k++) {
  const leader = await etcd.leaderIndex();
  if (leader === undefined) continue;
  await failover(leader, `leader m${leader} killed (#${k})`);
}
stopping = true;
await load;
await stopChild(controlPlane, 5000);
await etcd.stop();

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const rows = phases.map((name) => {
  const these = samples.filter((s) => s.phase === name);
  const ms = these.map((s) => s.ms).sort((a, b) => a - b);
  const slowest = these.reduce<Sample | undefined>((a, b) => (a === undefined || b.ms > a.ms ? b : a), undefined);
  return { name, ok: these.filter((s) => s.ok).length, failed: these.filter((s) => !s.ok).length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms.at(-1) ?? 0, maxAt: (slowest?.at ?? 0) / 1000 };
});
console.log(`## etcd failover: applies through the admin API, ${clients} client(s) back to back, 3 etcd members (down ${downMs / 1000} s each)\n`);
console.log('| phase | ok | failed | p50 ms | p99 ms | max ms | max at s |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.ok} | ${r.failed} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.maxAt.toFixed(2)} |`);
console.log('\n(an apply counts for the phase it ended in; max at: when the slowest ended, seconds into its phase. "down" starts as');
console.log('the member is SIGKILLed, "restarting" as it is started again, until every running member answers /health.)');
const failures = samples.filter((s) => !s.ok && phases.includes(s.phase));
if (failures.length > 0) {
  console.log('\nfailed applies:');
  for (const f of failures.slice(0, 10)) console.log(`- ${f.phase}: after ${f.ms.toFixed(0)} ms: ${f.detail}`);
}
const warnings = output.split('\n').filter((l) => l.includes('"level":40') || l.includes('"level":50'));
const unserialized = warnings.filter((l) => l.includes('unable to serialize')).length;
console.log(`\ncontrol-plane warnings: ${warnings.length} (${unserialized} with "[unable to serialize ...]" in place of the error)`);
