// The send budget bounds the bytes written and not yet answered across all streams. Two ways it
// could starve proxies that are running fine: a proxy that never answers would hold its share for as
// long as its stream stays open, and a crowd of new proxies, each needing the whole configuration,
// would queue ahead of the small update a running proxy waits for. Here the budget lets one response
// through at a time, a raw stream takes it and never answers, and three more raw streams connect
// before a change: the running proxy still gets the change, once the silent stream's time is up, and
// before any of the newcomers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { cluster, RawStream, route, startProxy, startReplica, type Replica, type TestProxy } from './support/discovery-fixture.js';

const UNANSWERED_BUDGET_MS = 1_500;

let etcd: EtcdCluster;
let cp: Replica;
let proxy: TestProxy;
/** When the running proxy received the change, and how many responses each newcomer had then. */
let gotChangeAtMs: number | undefined;
let newcomersAnsweredThen: number[] | undefined;
const newcomers: RawStream[] = [];
const raw: RawStream[] = [];

before(async () => {
  etcd = await EtcdCluster.start();
  // One byte: a single response in flight at any time, whatever its size.
  cp = await startReplica(etcd, { server: { sendBudgetBytes: 1, unansweredBudgetMs: UNANSWERED_BUDGET_MS } });
  await cp.api.apply([cluster('web'), route('first', 'web')]);
  proxy = await startProxy([cp.address], { nodeId: 'running' });
  proxy.client.on('response', (r) => {
    if (gotChangeAtMs !== undefined || !r.resources.some((x) => x.name === 'second')) return;
    gotChangeAtMs = performance.now();
    newcomersAnsweredThen = newcomers.map((n) => n.responses.length);
  });
  await until('the running proxy synced', () => proxy.client.current.has('Route', 'first'), 8_000);
});

after(async () => {
  for (const r of raw) r.close();
  await proxy?.stop();
  await cp?.stop();
  await etcd?.stop();
});

test('a silent stream leaves the send budget after its time; updates to running proxies go before newcomers', async () => {
  const silent = new RawStream(cp.address);
  raw.push(silent);
  silent.send({ node: { id: 'silent' }, type: 'Cluster', subscribe: ['*'] });
  await silent.response(0); // holds the whole budget from now on: never answered
  const heldFrom = performance.now();

  for (const id of ['new-1', 'new-2', 'new-3']) {
    const stream = new RawStream(cp.address);
    raw.push(stream);
    newcomers.push(stream);
    stream.send({ node: { id }, type: 'Cluster', subscribe: ['*'] });
  }
  // The newcomers' first responses are queued behind the silent one.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(newcomers.map((n) => n.responses.length), [0, 0, 0], 'the budget holds one response at a time');

  await cp.api.apply([route('second', 'web')]);
  await until('the running proxy got the change', () => gotChangeAtMs !== undefined, 8_000);
  const waitedMs = gotChangeAtMs! - heldFrom;
  assert.ok(waitedMs >= UNANSWERED_BUDGET_MS - 50, `the change waited for the silent stream's time (${Math.round(waitedMs)} ms)`);
  // The response to the running proxy is written before any newcomer's, and the next one waits for its
  // ACK: so when the proxy received the change no newcomer had a response yet.
  assert.deepEqual(newcomersAnsweredThen, [0, 0, 0], 'no newcomer was answered before the running proxy\'s update');
  assert.ok(cp.logs.some((l) => l.includes('proxy has not answered a response') && l.includes('"node":"silent"')), 'the silent proxy is named in the log');

  // The newcomers are served too, each in turn, since each of them answers nothing either: every one
  // leaves the budget after its time, so all three have their first response within a few periods.
  await until('every newcomer got its first response', () => newcomers.every((n) => n.responses.length > 0), 4 * UNANSWERED_BUDGET_MS + 4_000);
});
