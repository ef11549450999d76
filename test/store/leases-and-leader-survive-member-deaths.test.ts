// Leases through a member's death: with three members, each killed in turn for longer than the TTLs,
// a leased key (a health entry, a registration) stays, its lease is never declared lost, and the
// elected leader keeps its term (same fence, never without one), because renewals move to another
// member as soon as theirs dies. The election runs with its default TTL (5 s): a leader steps down
// when no renewal got through for 2/3 of it, and none can while etcd elects a new leader of its own
// (about a second here, more on a loaded machine), so a shorter TTL would measure etcd's election.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import type { Fence } from '../../control-plane/src/store/fence.js';
import { DEFAULT_LEADER_LEASE_TTL_SECONDS } from '../../control-plane/src/store/leader-election.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { until } from '../support/until.js';

/** The leased key's TTL. */
const TTL_SECONDS = 2;
const LEADER_TTL_SECONDS = DEFAULT_LEADER_LEASE_TTL_SECONDS;
/** Each member stays down longer than the leased key's TTL and than the leader's 2/3-TTL window. */
const DOWN_MS = Math.max(TTL_SECONDS, LEADER_TTL_SECONDS * (2 / 3)) * 1000 + 700;
let etcd: EtcdCluster;
let store: EtcdStore;

before(async () => {
  etcd = await EtcdCluster.start(3);
  store = new EtcdStore({ endpoints: etcd.endpoints });
});

after(async () => {
  await store?.close();
  await etcd?.stop();
});

test('each member killed for longer than the TTL: the leased key stays, the leader keeps its term', { timeout: 90_000 }, async (t) => {
  const lease = store.leases().grant(TTL_SECONDS);
  let lost = 0;
  lease.onLost(() => lost++);
  assert.equal(await lease.put('/sluice/test/leased', 'here'), true);
  const election = store.election({ id: 'survivor', leaseTtlSeconds: LEADER_TTL_SECONDS });
  const changes: Array<Fence | undefined> = [];
  election.onChange((f) => changes.push(f));
  t.after(() => election.stop());
  await election.start();
  const fence = await until('a leader', () => election.fence);

  const gaps: string[] = [];
  for (const member of [0, 1, 2]) {
    await etcd.killMember(member);
    const killedAt = Date.now();
    await until(`${DOWN_MS} ms with member ${member} down`, async () => {
      if (election.fence?.createRevision !== fence.createRevision) gaps.push(`member ${member} down ${Date.now() - killedAt} ms: fence ${JSON.stringify(election.fence)}`);
      return Date.now() - killedAt > DOWN_MS ? true : undefined;
    }, 20_000, 25);
    const living = etcd.endpoints.filter((_, i) => i !== member);
    assert.equal((await etcdctl(living, 'get', '/sluice/test/leased', '--print-value-only')).trim(), 'here', `the leased key is there with member ${member} down`);
    await etcd.restartMember(member);
  }
  assert.deepEqual(gaps.slice(0, 5), [], 'the leader never lost its fence');
  assert.deepEqual(changes.filter((f) => f === undefined), [], 'the leader never stepped down');
  assert.equal(lost, 0, 'the lease was never declared lost');
  assert.equal((await etcdctl(etcd.endpoints, 'get', '/sluice/leader/health-checker', '--print-value-only')).trim(), 'survivor');
  await lease.revoke();
});
