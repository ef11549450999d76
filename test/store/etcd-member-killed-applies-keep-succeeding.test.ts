// Three etcd members behind one control plane that is given all three endpoints, as in production:
// each member in turn is SIGKILLed and restarted while applies run back to back through the admin API.
// While two members live every apply succeeds, the health-checker leader keeps its term and no lease
// is lost; with two members down every apply is refused with 503 SLUICE_STORE_UNAVAILABLE within a
// bounded time and none is half-written; once a quorum is back applies succeed again, and the
// control plane's cache, a connected proxy and a separate watch all hold what etcd holds. Every
// warning names its error (message and code), none is "[unable to serialize ...]".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { discoveryModule, type DiscoveryModule } from '../../control-plane/src/discovery/discovery-module.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { TestApi, type ApiAnswer } from '../support/api-harness.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { startProxy, type TestProxy } from '../discovery/support/discovery-fixture.js';
import { record, type WatchRecord } from './store-fixtures.js';

/** What the API answered to one apply, and in which phase of the test. */
interface Outcome {
  readonly phase: string;
  readonly status: number;
  readonly ms: number;
  readonly port: number;
  readonly revision?: number;
  readonly code?: string;
  readonly message?: string;
}

/** The longest a refused write may take with the defaults (wait for the watch + commit budget, with margin). */
const REFUSED_WITHIN_MS = 8000;

let etcd: EtcdCluster;
let api: TestApi;
let discovery: DiscoveryModule | undefined;
let proxy: TestProxy;
let observer: EtcdStore;
let watch: WatchRecord;

before(async () => {
  etcd = await EtcdCluster.start(3);
  api = await TestApi.start({ kind: 'etcd', endpoints: etcd.endpoints }, {
    modules: [discoveryModule({ listen: { host: '127.0.0.1', port: 0 }, debounceMs: 20 }, (m) => (discovery = m))],
  });
  proxy = await startProxy([discovery!.address], { nodeId: 'failover-proxy' });
  observer = new EtcdStore({ endpoints: etcd.endpoints });
  watch = record(observer, await observer.revision());
});

after(async () => {
  await watch?.handle.close();
  await observer?.close();
  await proxy?.stop();
  await api?.stop();
  await etcd?.stop();
});

const clusterAt = (name: string, port: number): Record<string, unknown> => ({ kind: 'Cluster', name, endpoints: [{ address: '127.0.0.1', port }] });

function outcomeOf(phase: string, port: number, res: ApiAnswer, ms: number): Outcome {
  return res.status === 200
    ? { phase, status: res.status, ms, port, revision: Number(res.body.revision) }
    : { phase, status: res.status, ms, port, code: res.body?.code, message: res.body?.message };
}

/** Applies `Cluster/failover` with a new port, one apply after the other, until stopped. */
function startApplying(outcomes: Outcome[], phaseOf: () => string): { stop(): Promise<void> } {
  let stopping = false;
  const loop = (async () => {
    for (let port = 20000; !stopping; port++) {
      const phase = phaseOf();
      const started = Date.now();
      const res = await api.apply([clusterAt('failover', port)]);
      outcomes.push(outcomeOf(phase, port, res, Date.now() - started));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}

function inPhase(outcomes: readonly Outcome[], phase: string): Outcome[] {
  return outcomes.filter((o) => o.phase === phase);
}

function describeFailures(outcomes: readonly Outcome[]): string {
  return JSON.stringify(outcomes.filter((o) => o.status !== 200).slice(0, 5));
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Every log line as parsed JSON. */
function logLines(): Array<Record<string, any>> {
  return api.logs.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, any>);
}

test('each member killed in turn under continuous applies: none fails while a quorum lives; without one, clear 503s; after recovery all views equal etcd', { timeout: 180_000 }, async (t) => {
  const outcomes: Outcome[] = [];
  let phase = 'steady';
  const applier = startApplying(outcomes, () => phase);
  await until('10 applies in steady state', () => (inPhase(outcomes, 'steady').length >= 10 ? true : undefined), 20_000);

  for (const member of [0, 1, 2]) {
    const down = `member ${member} down`;
    phase = down;
    const killedAt = Date.now();
    await etcd.killMember(member);
    // Long enough for the watch, the leases' keepalives and the election's keepalive to have moved
    // to another member (a third of the 5 s leader lease is 1.7 s), and for many applies.
    await until(`30 applies and 3 s with member ${member} down`, () => (inPhase(outcomes, down).length >= 30 && Date.now() - killedAt > 3000 ? true : undefined), 60_000);
    const back = `member ${member} back`;
    phase = back;
    await etcd.restartMember(member);
    await until(`10 applies with member ${member} back`, () => (inPhase(outcomes, back).length >= 10 ? true : undefined), 30_000);
  }
  phase = 'stopping';
  await applier.stop();

  const quorumPhases = outcomes.filter((o) => o.phase !== 'stopping');
  for (const name of [...new Set(quorumPhases.map((o) => o.phase))]) {
    const these = inPhase(outcomes, name);
    const ms = these.map((o) => o.ms);
    t.diagnostic(`${name}: ${these.filter((o) => o.status === 200).length} ok, ${these.filter((o) => o.status !== 200).length} failed; p50 ${percentile(ms, 50)} ms, p99 ${percentile(ms, 99)} ms, max ${Math.max(...ms)} ms`);
  }
  assert.deepEqual(quorumPhases.filter((o) => o.status !== 200), [], `applies failed while a quorum lived: ${describeFailures(quorumPhases)}`);
  const lines = logLines();
  const steppedDown = lines.filter((l) => /stepped down as leader/.test(l['msg']));
  assert.deepEqual(steppedDown, [], 'the health-checker leader kept its term while a quorum lived');
  const leaseLost = lines.filter((l) => /lease lost/.test(l['msg']));
  assert.deepEqual(leaseLost, [], 'no lease was lost while a quorum lived');

  // Quorum lost: two members down. Each apply writes two clusters, to see that none lands half-written.
  await etcd.killMember(0);
  await etcd.killMember(1);
  const refused: Array<{ names: string[]; res: ApiAnswer; ms: number }> = [];
  for (let i = 0; i < 3; i++) {
    const names = [`split-${i}-a`, `split-${i}-b`];
    const started = Date.now();
    const res = await api.apply(names.map((n) => clusterAt(n, 30000 + i)));
    refused.push({ names, res, ms: Date.now() - started });
  }
  for (const { res, ms } of refused) {
    t.diagnostic(`without quorum: ${res.status} in ${ms} ms: ${JSON.stringify(res.body)}`);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 'SLUICE_STORE_UNAVAILABLE');
    assert.match(res.body.message, /etcd|store/);
    assert.doesNotMatch(res.body.message, /\bat \w+ \(|node_modules|\n/, 'no stack or internals in the answer');
    assert.ok(ms < REFUSED_WITHIN_MS, `refused after ${ms} ms`);
  }
  const read = await api.get('/v1/clusters/failover');
  assert.equal(read.status, 200, 'reads answer from the last state seen');

  // Back to a quorum: applies succeed again.
  await etcd.restartMember(0);
  const recovered: Outcome[] = [];
  for (let port = 40000; port < 40010; port++) {
    const started = Date.now();
    recovered.push(outcomeOf('recovered', port, await api.apply([clusterAt('failover', port)]), Date.now() - started));
  }
  assert.deepEqual(recovered.filter((o) => o.status !== 200), [], `applies after recovery: ${describeFailures(recovered)}`);
  await etcd.restartMember(1);
  const last = recovered.at(-1)!;

  // Every view equals etcd, and etcd holds the last write.
  const truth = await observer.list();
  const inEtcd = new Map(truth.resources.map((r) => [`${r.resource.kind}/${r.resource.spec.name}`, r]));
  const stored = inEtcd.get('Cluster/failover');
  assert.equal(stored?.revision, last.revision, 'etcd holds the last apply');
  assert.equal((stored?.resource.spec as { endpoints: Array<{ port: number }> }).endpoints[0]?.port, last.port);
  for (const { names } of refused) {
    const landed = names.filter((n) => inEtcd.has(`Cluster/${n}`));
    assert.ok(landed.length === 0 || landed.length === names.length, `an apply refused without quorum is all or nothing, found ${landed.join(', ')}`);
  }
  // The newest configuration write, not etcd's header revision: the proxies' status keys
  // (/sluice/fleet/) move that too, and no view of the configuration follows them.
  const configRevision = Math.max(...truth.resources.map((r) => r.revision));
  let views = '';
  await until('the cache, the proxy and the watch reach the last configuration revision', async () => {
    const cached = Number((await api.get('/v1/clusters/failover')).headers.get('sluice-revision'));
    const watched = watch.batches.some((b) => b.startsWith(`${configRevision}:`));
    views = `etcd ${configRevision}, cache ${cached}, proxy ${proxy.client.revision}, watch ${watched ? 'has it' : `last ${watch.batches.at(-1)?.split(':')[0]}`}`;
    return cached >= configRevision && proxy.client.revision >= configRevision && watched ? true : undefined;
  }, 15_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${views}`);
  });
  const listed = await api.get('/v1/clusters');
  const names = (rs: Iterable<string>): string[] => [...rs].sort();
  assert.deepEqual(names(listed.body.resources.map((r: { name: string }) => `Cluster/${r.name}`)), names([...inEtcd.keys()].filter((k) => k.startsWith('Cluster/'))), 'the cache equals etcd');
  assert.deepEqual(names(proxy.client.current.list('Cluster').map((c) => `Cluster/${c.name}`)), names([...inEtcd.keys()].filter((k) => k.startsWith('Cluster/'))), 'the proxy equals etcd');
  assert.equal(proxy.client.current.get('Cluster', 'failover')?.endpoints[0]?.port, last.port, 'the proxy has the last write');

  // The separate watch saw every successful apply exactly once, in order, across every member's death.
  const seen = watch.batches.map((b) => Number(b.split(':')[0]));
  assert.equal(new Set(seen).size, seen.length, 'no revision delivered twice');
  const missing = [...outcomes, ...recovered].filter((o) => o.status === 200 && !seen.includes(o.revision!));
  assert.deepEqual(missing, [], 'no successful apply missing from the watch');

  // Logs: every error is named: a message and a code, never "[unable to serialize ...]".
  const all = logLines();
  assert.deepEqual(api.logs.filter((l) => l.includes('unable to serialize')), [], 'no log line lost its error');
  const withErr = all.filter((l) => l['err'] !== undefined);
  for (const l of withErr) {
    assert.equal(typeof l['err'], 'object', `err is an object: ${JSON.stringify(l)}`);
    assert.ok(typeof l['err'].message === 'string' && l['err'].message !== '', `err has a message: ${JSON.stringify(l)}`);
  }
  const refusals = all.filter((l) => l['msg'] === 'request failed' && l['status'] === 503);
  assert.ok(refusals.length >= refused.length, `each 503 is logged: ${refusals.length}`);
  for (const l of refusals) {
    assert.equal(l['err']?.code, 'SLUICE_STORE_UNAVAILABLE', JSON.stringify(l));
    assert.ok(typeof l['err']?.message === 'string' && l['err'].message.length > 0, JSON.stringify(l));
  }
  const storeWarnings = withErr.filter((l) => l['level'] >= 40 && l['part'] === 'etcd' || /etcd/.test(l['msg']));
  t.diagnostic(`${withErr.length} log lines carry an error; e.g. ${JSON.stringify(storeWarnings[0] ?? refusals[0])}`);
  assert.ok(storeWarnings.concat(refusals).every((l) => l['err'].code !== undefined || l['err'].cause?.code !== undefined), 'store errors carry a code');
});
