// The store contract against a real etcd member, plus what only etcd can show.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '../../control-plane/src/errors.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { GENERATION_KEY } from '../../control-plane/src/store/keys.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { CONTRACT_LIMITS, storeContract } from './store-contract.js';
import { certificate, deleteEverything, json, record, rejectsWithCode, route } from './store-fixtures.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await EtcdCluster.start(1, { limits: CONTRACT_LIMITS });
});
after(async () => {
  await etcd?.stop();
});

storeContract('etcd', async () => {
  const store = new EtcdStore({ endpoints: etcd.endpoints, limits: CONTRACT_LIMITS });
  await deleteEverything(store);
  return {
    store,
    compact: async (revision) => store.compact(revision),
    dispose: async () => store.close(),
  };
});

describe('etcd store on a real member', () => {
  test('etcdctl get shows a resource as its protobuf JSON', async () => {
    const store = new EtcdStore({ endpoints: etcd.endpoints });
    try {
      await store.commit([{ op: 'put', resource: route('readable') }], await store.revision());
      const value = await etcdctl(etcd.endpoints, 'get', '/sluice/v1/routes/readable', '--print-value-only');
      const { kind: _kind, ...spec } = json(route('readable')) as Record<string, unknown>;
      assert.deepEqual(JSON.parse(value), spec);
      assert.match(await etcdctl(etcd.endpoints, 'get', GENERATION_KEY, '--keys-only'), /generation/);
    } finally {
      await store.close();
    }
  });

  test('a value written by hand that is not a resource is left out of a list and reads as deleted in a watch', async () => {
    const store = new EtcdStore({ endpoints: etcd.endpoints });
    try {
      const from = await store.commit([{ op: 'put', resource: route('victim') }], await store.revision());
      const w = record(store, from);
      await etcdctl(etcd.endpoints, 'put', '/sluice/v1/routes/victim', 'not json');
      await etcdctl(etcd.endpoints, 'put', '/sluice/v1/routes/other', JSON.stringify({ name: 'someone-else' }));
      const rev = await store.revision();
      await w.until(rev);
      assert.deepEqual(w.batches, [`${from + 1}: delete Route/victim@${from + 1}`, `${from + 2}: delete Route/other@${from + 2}`]);
      const names = (await store.list()).resources.map((r) => r.resource.spec.name);
      assert.ok(!names.includes('victim') && !names.includes('other'), names.join(','));
      assert.equal(await store.get('Route', 'victim'), undefined);
      await w.handle.close();
      await etcdctl(etcd.endpoints, 'del', '--prefix', '/sluice/v1/routes/');
    } finally {
      await store.close();
    }
  });

  test("a store told larger limits than etcd runs with: etcd's refusal answers 413 naming both flags", async () => {
    const store = new EtcdStore({ endpoints: etcd.endpoints, limits: { maxTxnOps: 10_000, maxRequestBytes: 8 * 1024 * 1024 } });
    try {
      const ops = Array.from({ length: 200 }, (_, i) => ({ op: 'put' as const, resource: route(`told-${i}`) }));
      await rejectsWithCode(store.commit(ops, await store.revision()), ErrorCode.PayloadTooLarge,
        /^200 resources do not fit in one transaction: etcd refused 201 operations .* --store-max-txn-ops is 10000: etcd's --max-txn-ops is lower/);
      await rejectsWithCode(store.commit([{ op: 'put', resource: certificate('told-huge', 3_000_000) }], await store.revision()), ErrorCode.PayloadTooLarge,
        /etcd refused it as too large although --store-max-request-bytes is 8388608: etcd's --max-request-bytes is lower/);
      assert.equal(await store.get('Route', 'told-0'), undefined);
    } finally {
      await store.close();
    }
  });

  test('calls fail at once with SLUICE_STORE_UNAVAILABLE when nothing listens at the endpoint', async () => {
    const store = new EtcdStore({ endpoints: [`http://127.0.0.1:${await freePort()}`] });
    try {
      for (const call of [() => store.list(), () => store.revision(), () => store.get('Route', 'a'), () => store.commit([{ op: 'put', resource: route('a') }], 1)]) {
        const started = Date.now();
        await rejectsWithCode(call(), ErrorCode.StoreUnavailable, /etcd is unavailable/);
        assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started} ms`);
      }
    } finally {
      await store.close();
    }
  });

  test('calls to a member that accepts connections but never answers fail after requestTimeoutMs', async (t) => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket)); // a hung etcd: TCP up, no HTTP/2
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const store = new EtcdStore({ endpoints: [`http://127.0.0.1:${(silent.address() as AddressInfo).port}`], requestTimeoutMs: 400 });
    try {
      for (const call of [() => store.revision(), () => store.commit([{ op: 'put', resource: route('a') }], 1)]) {
        const started = Date.now();
        await rejectsWithCode(call(), ErrorCode.StoreUnavailable);
        const ms = Date.now() - started;
        assert.ok(ms >= 350 && ms < 1500, `failed after ${ms} ms`);
      }
    } finally {
      await store.close();
    }
  });
});
