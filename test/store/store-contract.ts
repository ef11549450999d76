// The ResourceStore contract, one suite for every implementation: embedded-store.test.ts and
// etcd-store.test.ts run it, so the embedded store cannot drift from etcd's semantics.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCode } from '../../control-plane/src/errors.js';
import type { MetaWrite, ResourceStore, WriteOp } from '../../control-plane/src/store/store.js';
import { ETCD_MAX_REQUEST_BYTES, ETCD_MAX_TXN_OPS, type StoreLimits } from '../../control-plane/src/store/write-checks.js';
import { APPLYSET_PREFIX, GENERATION_KEY } from '../../control-plane/src/store/keys.js';
import { certificate, cluster, describeStored, json, record, rejectsWithCode, route } from './store-fixtures.js';
import { until } from '../support/until.js';

/**
 * The limits every store under the contract runs with: etcd's own defaults (--max-txn-ops 128,
 * --max-request-bytes 1.5 MiB), small enough to reach in a test.
 */
export const CONTRACT_LIMITS: StoreLimits = Object.freeze({ maxTxnOps: ETCD_MAX_TXN_OPS, maxRequestBytes: ETCD_MAX_REQUEST_BYTES });

export interface StoreUnderTest {
  readonly store: ResourceStore;
  /** Compacts the store's history before `revision`, as etcd's compaction does. */
  compact(revision: number): Promise<void>;
  /** Closes the store if the test did not (close() twice must be harmless). */
  dispose(): Promise<void>;
}

const put = (resource: ReturnType<typeof route>, ifRevision?: number): WriteOp =>
  ifRevision === undefined ? { op: 'put', resource } : { op: 'put', resource, ifRevision };
const del = (name: string, ifRevision?: number): WriteOp =>
  ifRevision === undefined ? { op: 'delete', kind: 'Route', name } : { op: 'delete', kind: 'Route', name, ifRevision };

export function storeContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name} store contract`, () => {
    let s: StoreUnderTest;
    let store: ResourceStore;
    /** Commits validated at the current revision, as the API does when nothing races it. */
    const commit = async (...ops: WriteOp[]): Promise<number> => await store.commit(ops, await store.revision());

    /** Meta keys of one test: stores may be shared between tests. */
    let metaPrefix = '';

    beforeEach(async () => {
      metaPrefix = `/sluice/meta/test-${Date.now()}-${Math.random().toString(36).slice(2)}/`;
      s = await open();
      store = s.store;
    });
    afterEach(async () => {
      await s.dispose();
    });

    test('a put is read back as written, with the revision of its commit', async () => {
      const web = route('web');
      const rev = await commit(put(web));
      const got = await store.get('Route', 'web');
      assert.deepEqual(got && json(got.resource), json(web));
      assert.equal(got?.revision, rev);
    });

    test('an update moves the revision forward and a delete removes the resource', async () => {
      const r1 = await commit(put(route('web', 'a.example')));
      const r2 = await commit(put(route('web', 'b.example')));
      assert.ok(r2 > r1);
      const got = await store.get('Route', 'web');
      assert.equal(got?.revision, r2);
      assert.deepEqual(got?.resource.kind === 'Route' && got.resource.spec.hosts, ['b.example']);
      await commit(del('web'));
      assert.equal(await store.get('Route', 'web'), undefined);
    });

    test('get of a resource that was never written is undefined', async () => {
      assert.equal(await store.get('Cluster', 'nowhere'), undefined);
    });

    test('list returns every resource, sorted by key, at the revision of the last commit', async () => {
      const r1 = await commit(put(route('b')), put(cluster('backend')));
      const r2 = await commit(put(route('a')));
      const listed = await store.list();
      assert.equal(listed.revision, r2);
      assert.deepEqual(listed.resources.map((r) => `${r.resource.kind}/${r.resource.spec.name}@${r.revision}`),
        [`Cluster/backend@${r1}`, `Route/a@${r2}`, `Route/b@${r1}`]);
      assert.deepEqual(json(listed.resources[1]!.resource), json(route('a')));
    });

    test('revision() is the revision of the last commit, and every commit moves it forward', async () => {
      const before = await store.revision();
      const r1 = await commit(put(route('a')));
      assert.ok(r1 > before);
      assert.equal(await store.revision(), r1);
      const r2 = await commit(del('a'));
      assert.equal(await store.revision(), r2);
      assert.ok(r2 > r1);
    });

    test('every resource of one transaction gets the transaction revision', async () => {
      const rev = await commit(put(route('a')), put(route('b')), put(cluster('c')));
      const listed = await store.list();
      assert.deepEqual(describeStored(listed.resources), [`Cluster/c@${rev}`, `Route/a@${rev}`, `Route/b@${rev}`]);
    });

    test('a transaction is all or nothing: one failed ifRevision writes nothing', async () => {
      const existing = await commit(put(route('taken')));
      await rejectsWithCode(commit(put(route('fresh')), put(cluster('c')), put(route('taken'), 0)), ErrorCode.Conflict, /routes\[taken\]/);
      assert.equal(await store.get('Route', 'fresh'), undefined);
      assert.equal(await store.get('Cluster', 'c'), undefined);
      assert.equal(await store.revision(), existing, 'a refused transaction does not move the revision');
    });

    test('ifRevision 0 creates a missing resource and refuses an existing one, naming it', async () => {
      const rev = await commit(put(route('web'), 0));
      const err = await rejectsWithCode(commit(put(route('web'), 0)), ErrorCode.Conflict, /routes\[web\] already exists/);
      assert.deepEqual(err.errors.map((e) => e.path), ['routes[web]']);
      assert.equal((await store.get('Route', 'web'))?.revision, rev);
    });

    test('a stale ifRevision is refused with SLUICE_CONFLICT; the current one succeeds', async () => {
      const r1 = await commit(put(route('web', 'a.example')));
      const r2 = await commit(put(route('web', 'b.example'), r1));
      await rejectsWithCode(commit(put(route('web', 'c.example'), r1)), ErrorCode.Conflict, new RegExp(`routes\\[web\\] is at revision ${r2}, not ${r1}`));
      await rejectsWithCode(commit(put(route('ghost'), 5)), ErrorCode.Conflict, /routes\[ghost\] does not exist/);
      const got = await store.get('Route', 'web');
      assert.deepEqual(got?.resource.kind === 'Route' && got.resource.spec.hosts, ['b.example']);
    });

    test('ifRevision on a delete: a stale or missing one is refused, the current one deletes', async () => {
      const r1 = await commit(put(route('web')));
      const r2 = await commit(put(route('web', 'b.example')));
      await rejectsWithCode(commit(del('web', r1)), ErrorCode.Conflict, /routes\[web\]/);
      await rejectsWithCode(commit(del('ghost', r2)), ErrorCode.Conflict, /routes\[ghost\]/);
      await commit(del('web', r2));
      assert.equal(await store.get('Route', 'web'), undefined);
    });

    test('a commit validated before the last commit fails with SLUICE_CONCURRENT_WRITE; one validated at it succeeds', async () => {
      const r1 = await commit(put(route('a')));
      const r2 = await store.commit([put(route('b'))], r1);
      await rejectsWithCode(store.commit([put(route('c'))], r1), ErrorCode.ConcurrentWrite, new RegExp(`revision ${r2}`));
      assert.equal(await store.get('Route', 'c'), undefined);
      const r3 = await store.commit([put(route('c'))], r2);
      assert.ok(r3 > r2);
    });

    test('a failed ifRevision is reported as SLUICE_CONFLICT even when validatedAt is stale too', async () => {
      const r1 = await commit(put(route('web')));
      await commit(put(route('web', 'b.example')));
      await rejectsWithCode(store.commit([put(route('web', 'c.example'), r1)], r1), ErrorCode.Conflict, /routes\[web\]/);
    });

    test('a delete of a missing resource commits: watches get its revision with no event', async () => {
      const from = await commit(put(route('keep')));
      const w = record(store, from);
      const rDelete = await commit(del('ghost'));
      assert.ok(rDelete > from);
      await w.until(rDelete);
      const rPut = await commit(put(route('next')));
      await w.until(rPut);
      assert.deepEqual(w.batches, [`${rDelete}: `, `${rPut}: put Route/next@${rPut}`]);
      await w.handle.close();
    });

    test('every commit reaches a watch at the revision it returned', async () => {
      const from = await store.revision();
      const w = record(store, from);
      const revisions: number[] = [];
      for (let i = 0; i < 6; i++) revisions.push(await commit(i % 2 === 0 ? put(route(`r${i}`)) : del(`missing-${i}`)));
      await w.until(revisions[revisions.length - 1]!);
      assert.deepEqual(w.batches.map((b) => Number(b.split(':')[0])), revisions);
      await w.handle.close();
    });

    test('the same resource twice in one transaction is refused with SLUICE_VALIDATION', async () => {
      const before = await commit(put(route('a')));
      const err = await rejectsWithCode(commit(put(route('a')), del('a')), ErrorCode.Validation, /routes\[a\] appears more than once/);
      assert.deepEqual(err.errors.map((e) => e.path), ['routes[a]']);
      assert.equal(await store.revision(), before);
    });

    test('127 resources fit in one transaction; 128 are refused with SLUICE_PAYLOAD_TOO_LARGE naming the limit and its flag', async () => {
      const ops = (n: number, tag: string): WriteOp[] => Array.from({ length: n }, (_, i) => put(route(`${tag}-${i}`)));
      const rev = await commit(...ops(127, 'fits'));
      assert.equal((await store.list()).resources.length, 127);
      await rejectsWithCode(commit(...ops(128, 'over')), ErrorCode.PayloadTooLarge, /^128 resources do not fit in one transaction: 129 operations .* limit of 128 \(--store-max-txn-ops, which must match etcd's --max-txn-ops\)/);
      assert.equal(await store.revision(), rev);
      assert.equal(await store.get('Route', 'over-0'), undefined);
    });

    test('a transaction over 1.5 MiB is refused with SLUICE_PAYLOAD_TOO_LARGE naming the limit, and the store answers right after', async () => {
      for (const size of [1_600_000, 3_000_000]) {
        await rejectsWithCode(commit(put(certificate('huge', size))), ErrorCode.PayloadTooLarge, /limit of 1572864 bytes \(--store-max-request-bytes/);
      }
      assert.equal(await store.get('Certificate', 'huge'), undefined);
      await commit(put(certificate('normal', 2000)));
      assert.equal((await store.get('Certificate', 'normal'))?.resource.spec.name, 'normal');
    });

    test('meta keys carry the revision of their commit (read through keyValues) and never reach watches', async () => {
      const keyValues = store.keyValues?.();
      assert.ok(keyValues, 'a store that takes meta writes reads them back through keyValues()');
      const from = await store.revision();
      const w = record(store, from);
      const r1 = await store.commit([put(route('a'))], from, [{ key: `${metaPrefix}1`, value: 'one' }, { key: `${metaPrefix}2`, value: 'two' }]);
      assert.deepEqual(await keyValues.get(`${metaPrefix}1`), { value: 'one', revision: r1 });
      const r2 = await store.commit([del('a')], r1, [{ key: `${metaPrefix}3`, value: 'three' }, { key: `${metaPrefix}1` }]);
      assert.equal(await keyValues.get(`${metaPrefix}1`), undefined);
      assert.deepEqual((await keyValues.list(metaPrefix)).map((e) => `${e.key}=${e.value}@${e.revision}`),
        [`${metaPrefix}2=two@${r1}`, `${metaPrefix}3=three@${r2}`]);
      await w.until(r2);
      assert.deepEqual(w.batches, [`${r1}: put Route/a@${r1}`, `${r2}: delete Route/a@${r2}`]);
      await w.handle.close();
    });

    test('meta keys are written in the same transaction as the resources, read back with listMeta, and deleted', async () => {
      const a = `${APPLYSET_PREFIX}contract-a`;
      const b = `${APPLYSET_PREFIX}contract-b`;
      const from = await store.revision();
      const w = record(store, from);
      const rev = await store.commit([put(route('meta-web'))], from, [{ key: a, value: '["Route/meta-web"]' }, { key: b, value: '[]' }]);
      assert.deepEqual(await store.listMeta(APPLYSET_PREFIX), [{ key: a, value: '["Route/meta-web"]' }, { key: b, value: '[]' }]);
      assert.equal((await store.get('Route', 'meta-web'))?.revision, rev);
      // Meta-only commits move the revision and reach watches without resource events.
      const rev2 = await store.commit([], rev, [{ key: a }]);
      assert.ok(rev2 > rev);
      assert.deepEqual(await store.listMeta(APPLYSET_PREFIX), [{ key: b, value: '[]' }]);
      await w.until(rev2);
      assert.deepEqual(w.batches, [`${rev}: put Route/meta-web@${rev}`, `${rev2}: `]);
      await w.handle.close();
    });

    test('a refused commit writes none of its meta keys', async () => {
      const key = `${APPLYSET_PREFIX}contract-refused`;
      const r1 = await commit(put(route('taken')));
      await rejectsWithCode(store.commit([put(route('taken'), 0)], r1, [{ key, value: 'x' }]), ErrorCode.Conflict, /routes\[taken\]/);
      await commit(put(route('later')));
      await rejectsWithCode(store.commit([put(route('stale'))], r1, [{ key, value: 'x' }]), ErrorCode.ConcurrentWrite);
      assert.deepEqual(await store.listMeta(APPLYSET_PREFIX), []);
    });

    test('meta keys count toward the operation limit: 126 resources and one meta key fit, two do not', async () => {
      const ops = Array.from({ length: 126 }, (_, i) => put(route(`m-${i}`)));
      const meta = (n: number): MetaWrite[] => Array.from({ length: n }, (_, i) => ({ key: `${APPLYSET_PREFIX}limit-${i}`, value: 'v' }));
      await rejectsWithCode(store.commit(ops, await store.revision(), meta(2)), ErrorCode.PayloadTooLarge, /^126 resources do not fit .*: 129 operations/);
      assert.equal(await store.get('Route', 'm-0'), undefined);
      await store.commit(ops, await store.revision(), meta(1));
      assert.deepEqual((await store.listMeta(APPLYSET_PREFIX)).map((m) => m.key), [`${APPLYSET_PREFIX}limit-0`]);
    });

    test('a meta key outside /sluice/meta/, or the generation key, is refused and nothing is written', async () => {
      const before = await store.revision();
      for (const key of ['/sluice/v1/routes/sneaky', GENERATION_KEY, '/elsewhere']) {
        await rejectsWithCode(store.commit([put(route('never'))], before, [{ key, value: 'x' }]), ErrorCode.Internal, /under \/sluice\/meta\//);
      }
      assert.equal(await store.revision(), before);
      assert.equal(await store.get('Route', 'never'), undefined);
    });

    test('watch from R delivers exactly the changes after R, one batch per transaction, in order', async () => {
      await commit(put(route('before')));
      const from = await commit(put(route('a')));
      const r1 = await commit(put(route('b')), put(cluster('c')), del('before'));
      const r2 = await commit(del('a'));
      const w = record(store, from);
      assert.deepEqual(w.log, [], 'nothing is delivered synchronously from watch()');
      const r3 = await commit(put(route('b', 'new.example')));
      const r4 = await commit(put(route('d')), del('b'));
      await w.until(r4);
      assert.deepEqual(w.batches, [
        `${r1}: put Route/b@${r1}, put Cluster/c@${r1}, delete Route/before@${r1}`,
        `${r2}: delete Route/a@${r2}`,
        `${r3}: put Route/b@${r3}`,
        `${r4}: put Route/d@${r4}, delete Route/b@${r4}`,
      ]);
      assert.deepEqual(w.ends, []);
      await w.handle.close();
    });

    test('watched puts carry the resource as written', async () => {
      const from = await store.revision();
      const w = record(store, from);
      const events: unknown[] = [];
      const h = store.watch(from, { onEvents: (evs) => evs.forEach((e) => e.type === 'put' && events.push(json(e.resource))), onEnd() {} });
      const rev = await commit(put(route('web')));
      await w.until(rev);
      await until('one event', () => events.length === 1, 2000);
      assert.deepEqual(events, [json(route('web'))]);
      await Promise.all([w.handle.close(), h.close()]);
    });

    test('a watch from a compacted revision ends with compacted; one starting at the compaction revision does not', async () => {
      const r1 = await commit(put(route('a')));
      const r2 = await commit(put(route('b')));
      const r3 = await commit(put(route('c')));
      await s.compact(r2);
      const gone = record(store, r1 - 1); // would start at r1 < r2
      await gone.untilEnded();
      assert.deepEqual(gone.ends, ['compacted']);
      assert.deepEqual(gone.batches, []);
      const kept = record(store, r1); // starts at r2, the compaction revision: still there
      await kept.until(r3);
      assert.deepEqual(kept.batches, [`${r2}: put Route/b@${r2}`, `${r3}: put Route/c@${r3}`]);
      await Promise.all([gone.handle.close(), kept.handle.close()]);
    });

    test('a live watch goes on after a compaction', async () => {
      const from = await commit(put(route('a')));
      const w = record(store, from);
      const r1 = await commit(put(route('b')));
      await w.until(r1);
      await s.compact(r1);
      const r2 = await commit(put(route('c')));
      await w.until(r2);
      assert.deepEqual(w.batches, [`${r1}: put Route/b@${r1}`, `${r2}: put Route/c@${r2}`]);
      assert.deepEqual(w.ends, []);
      await w.handle.close();
    });

    test('a closed watch delivers nothing more', async () => {
      const from = await store.revision();
      const w = record(store, from);
      const r1 = await commit(put(route('a')));
      await w.until(r1);
      await w.handle.close();
      await commit(put(route('b')));
      const r3 = await commit(put(route('c')));
      const probe = record(store, r1);
      await probe.until(r3);
      assert.deepEqual(w.batches, [`${r1}: put Route/a@${r1}`]);
      assert.deepEqual(w.ends, []);
      await probe.handle.close();
    });

    test('close() ends open watches with unavailable; every call after it fails with SLUICE_STORE_UNAVAILABLE', async () => {
      const w = record(store, await store.revision());
      await store.close();
      await w.untilEnded();
      assert.deepEqual(w.ends, ['unavailable']);
      await rejectsWithCode(store.list(), ErrorCode.StoreUnavailable);
      await rejectsWithCode(store.get('Route', 'a'), ErrorCode.StoreUnavailable);
      await rejectsWithCode(store.revision(), ErrorCode.StoreUnavailable);
      await rejectsWithCode(store.commit([put(route('a'))], 0), ErrorCode.StoreUnavailable);
      assert.throws(() => store.watch(0, { onEvents() {}, onEnd() {} }), (err: Error & { code?: string }) => err.code === ErrorCode.StoreUnavailable);
      await store.close();
    });
  });
}
