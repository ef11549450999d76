// A member that hangs (SIGSTOP: its sockets stay open, nothing answers, as a host that froze or a
// network that drops packets) costs a call one attempt's deadline, not the call: the attempt is given
// up after attemptTimeoutMs and the call goes on to another member. Writes and reads run back to back
// while a follower hangs, then while the leader hangs; none fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { route } from './store-fixtures.js';

let etcd: EtcdCluster;
let store: EtcdStore;

before(async () => {
  etcd = await EtcdCluster.start(3);
  store = new EtcdStore({ endpoints: etcd.endpoints });
});

after(async () => {
  for (const i of [0, 1, 2]) etcd?.resumeMember(i);
  await store?.close();
  await etcd?.stop();
});

interface Call {
  readonly ms: number;
  readonly error?: string;
}

/** Reads the revision and commits, one after the other, while `hung()` says so; returns every call. */
async function writeWhile(hung: () => boolean): Promise<Call[]> {
  const calls: Call[] = [];
  for (let i = 0; hung(); i++) {
    const started = Date.now();
    try {
      await store.commit([{ op: 'put', resource: route(`hung-${i % 7}`, `v${i}.example`) }], await store.revision());
      calls.push({ ms: Date.now() - started });
    } catch (err) {
      calls.push({ ms: Date.now() - started, error: (err as Error).message });
    }
  }
  return calls;
}

for (const which of ['follower', 'leader'] as const) {
  test(`the ${which} hangs for 3 s: every read and commit succeeds`, { timeout: 60_000 }, async (t) => {
    const leader = await until('a leader', () => etcd.leaderIndex());
    const member = which === 'leader' ? leader : (leader + 1) % 3;
    etcd.pauseMember(member);
    const pausedAt = Date.now();
    const calls = await writeWhile(() => Date.now() - pausedAt < 3000);
    etcd.resumeMember(member);
    const failed = calls.filter((c) => c.error !== undefined);
    const slowest = Math.max(...calls.map((c) => c.ms));
    t.diagnostic(`${calls.length} read+commit pairs while the ${which} hung, ${failed.length} failed, slowest ${slowest} ms`);
    assert.deepEqual(failed, [], `calls failed while one member hung`);
    assert.ok(calls.length >= 5, `only ${calls.length} calls in 3 s`);
    // Wait for the member to answer again before the next test pauses another.
    await until('the member answers again', async () => ((await fetch(`${etcd.endpoint(member)}/health`)).ok ? true : undefined));
  });
}
