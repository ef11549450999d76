// Two replicas' elections on a real etcd: exactly one leads; when its lease is revoked, its key
// deleted or etcd goes away it stops reporting leadership at once; the other wins within the TTL; a write
// fenced by the deposed leader's fence is refused by etcd.
import { after, afterEach, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { EtcdElection } from '../../control-plane/src/store/etcd-election.js';
import type { Fence } from '../../control-plane/src/store/fence.js';
import { until } from '../support/until.js';

const TTL_SECONDS = 2;
let etcd: EtcdCluster;
let electors: EtcdElection[] = [];
let keyCounter = 0;

before(async () => {
  etcd = await EtcdCluster.start();
});

afterEach(async () => {
  await Promise.all(electors.map((e) => e.stop()));
  electors = [];
});

after(async () => {
  await etcd?.stop();
});

/** Each test its own key, so a lease left by a previous test cannot interfere. */
function pair(pollMs = 200): { key: string; a: EtcdElection; b: EtcdElection } {
  const key = `/sluice/leader/test-${++keyCounter}`;
  const make = (id: string): EtcdElection => new EtcdElection({ endpoints: etcd.endpoints, id, key, leaseTtlSeconds: TTL_SECONDS, pollMs });
  const a = make('replica-a');
  const b = make('replica-b');
  electors.push(a, b);
  return { key, a, b };
}

/** How many ms until `check` holds, polled every 10 ms: the step-down and election times are reported that precisely. */
async function msUntil(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await until(what, check, timeoutMs, 10);
  return Date.now() - started;
}

async function keyValue(key: string): Promise<{ value: string; createRevision: number; leaseHex: string } | undefined> {
  const text = await etcdctl(etcd.endpoints, 'get', key, '-w', 'json');
  const out = JSON.parse(text) as { kvs?: Array<{ value: string; create_revision: number }> };
  const kv = out.kvs?.[0];
  // Lease ids are 64-bit: JSON.parse would round them, so they are read from the text.
  const lease = /"lease":(\d+)/.exec(text)?.[1] ?? '0';
  return kv === undefined ? undefined : { value: Buffer.from(kv.value, 'base64').toString(), createRevision: kv.create_revision, leaseHex: BigInt(lease).toString(16) };
}

/** A write fenced as the health store fences it: commits only while the election key has the fence's create revision. */
async function fencedPut(fence: Fence, key: string, value: string): Promise<boolean> {
  const script = `create("${fence.key}") = "${fence.createRevision}"\n\nput ${key} ${value}\n\n\n`;
  const env: NodeJS.ProcessEnv = { ETCDCTL_API: '3' };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD')) env[k] = v;
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'txn'], { env, timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
    child.stdin?.end(script);
  });
  return out.startsWith('SUCCESS');
}

function leaders(...es: EtcdElection[]): EtcdElection[] {
  return es.filter((e) => e.fence !== undefined);
}

test('of two replicas exactly one leads, and the key names it with the fence\'s create revision', async (t: TestContext) => {
  const { key, a, b } = pair();
  a.start();
  b.start();
  await until('a leader', () => leaders(a, b).length > 0, 10_000);
  // Both keep campaigning (poll every 200 ms, watch); sample for a while that there is never a second leader.
  for (let i = 0; i < 100; i++) {
    assert.equal(leaders(a, b).length, 1, 'exactly one leader');
    await new Promise((r) => setTimeout(r, 10));
  }
  const [leader] = leaders(a, b);
  const stored = await keyValue(key);
  assert.equal(stored?.value, leader!.id);
  assert.equal(stored?.createRevision, leader!.fence!.createRevision);
  assert.equal(await leader!.verify(), true);
  t.diagnostic(`leader ${leader!.id}, create revision ${stored?.createRevision}`);
});

test('revoking the leader\'s lease: it stops leading at once, the other wins within the TTL, and the old fence writes nothing', async (t: TestContext) => {
  const { key, a, b } = pair();
  const changes: Array<{ who: string; leads: boolean; at: number }> = [];
  for (const e of [a, b]) e.onChange((f) => changes.push({ who: e.id, leads: f !== undefined, at: Date.now() }));
  a.start();
  await until('a leads', () => a.fence !== undefined, 10_000);
  b.start();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.fence, undefined, 'b follows while a leads');
  const oldFence = a.fence!;
  assert.equal(await fencedPut(oldFence, `${key}-probe`, 'by-a'), true, 'the leader\'s fenced write commits');

  const stored = await keyValue(key);
  const revokedAt = Date.now();
  await etcdctl(etcd.endpoints, 'lease', 'revoke', stored!.leaseHex);
  const aGone = await msUntil('a stops leading', () => a.fence === undefined, 2000);
  const bWon = await msUntil('b leads', () => b.fence !== undefined, (TTL_SECONDS + 3) * 1000);
  t.diagnostic(`a stepped down ${aGone} ms after the revoke; b won ${bWon + aGone} ms after it (TTL ${TTL_SECONDS} s)`);
  assert.ok(Date.now() - revokedAt < (TTL_SECONDS + 3) * 1000);
  assert.notEqual(b.fence!.createRevision, oldFence.createRevision);
  assert.equal(await fencedPut(oldFence, `${key}-probe`, 'late-write-by-a'), false, 'the deposed leader\'s fence is refused');
  assert.equal(await fencedPut(b.fence!, `${key}-probe`, 'by-b'), true);
  assert.equal((await keyValue(`${key}-probe`))?.value, 'by-b');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(leaders(a, b).length, 1, 'a campaigns again but b keeps leading');
  assert.ok(changes.some((c) => c.who === 'replica-a' && !c.leads), 'a told its listeners it stepped down');
});

test('a replica whose key is deleted never reports leadership afterwards', async (t: TestContext) => {
  const { key, a } = pair();
  a.start();
  await until('a leads', () => a.fence !== undefined, 10_000);
  const fence = a.fence!;
  await etcdctl(etcd.endpoints, 'del', key);
  // Whatever the watch's delay, a read of the key finds it gone and steps down before answering.
  assert.equal(await a.verify(), false);
  const reported = a.fence;
  assert.ok(reported === undefined || reported.createRevision !== fence.createRevision, 'the old term is never reported again');
  // a then wins a new term (nobody else campaigns) with a new create revision.
  await until('a wins a new term', () => a.fence !== undefined, 10_000);
  assert.ok(a.fence!.createRevision > fence.createRevision);
  t.diagnostic(`old term ${fence.createRevision}, new term ${a.fence!.createRevision}`);
});

test('a deleted key is noticed by the watch alone, within a few hundred milliseconds', async (t: TestContext) => {
  const { key, a } = pair(60_000); // no poll during the test: only the watch can notice
  a.start();
  await until('a leads', () => a.fence !== undefined, 10_000);
  const fence = a.fence!;
  const deletedAt = Date.now();
  await etcdctl(etcd.endpoints, 'del', key);
  const lag = await msUntil('a drops the old term', () => a.fence?.createRevision !== fence.createRevision, 2000);
  t.diagnostic(`the old term ended ${Date.now() - deletedAt} ms after etcdctl del began (${lag} ms after it returned)`);
});

test('stop() revokes the lease: the follower wins at once, not after the TTL', async (t: TestContext) => {
  const { key, a, b } = pair();
  a.start();
  await until('a leads', () => a.fence !== undefined, 10_000);
  b.start();
  const stoppedAt = Date.now();
  await a.stop();
  assert.equal(a.fence, undefined);
  const took = await msUntil('b leads', () => b.fence !== undefined, 5000);
  t.diagnostic(`b won ${Date.now() - stoppedAt} ms after a.stop() began`);
  assert.ok(took < TTL_SECONDS * 1000, `b won in ${took} ms, before a's lease could have expired`);
  assert.equal((await keyValue(key))?.value, 'replica-b');
});

test('etcd going away: the leader steps down before its lease could expire; a leader is elected again when etcd is back', async (t: TestContext) => {
  const { a, b } = pair();
  a.start();
  b.start();
  await until('a leader', () => leaders(a, b).length === 1, 10_000);
  const killedAt = Date.now();
  await etcd.kill();
  const took = await msUntil('nobody leads', () => leaders(a, b).length === 0, TTL_SECONDS * 1000 + 2000);
  t.diagnostic(`the leader stepped down ${Date.now() - killedAt} ms after etcd was killed (TTL ${TTL_SECONDS * 1000} ms)`);
  assert.ok(Date.now() - killedAt < TTL_SECONDS * 1000, `stepped down after ${took} ms, not before the lease could expire`);
  await etcd.restart();
  const back = await msUntil('a leader again', () => leaders(a, b).length === 1, (TTL_SECONDS + 8) * 1000);
  t.diagnostic(`a leader again ${back} ms after etcd restarted`);
});
