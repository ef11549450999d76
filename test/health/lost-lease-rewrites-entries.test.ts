// etcd unreachable for longer than the health lease's TTL. Once etcd is back the entries must
// be there, whichever way the lease went: etcd extended it when it came back (the renewals resume), or
// it expired (etcd answers the renewal with TTL 0, the replica grants a new one, maybe failing while
// etcd is still down, and writes its entries again under it). They must not be
// forgotten: the aggregator still vouches for the verdict and will not put it again until it changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { HealthWriter } from '../../control-plane/src/health/health-writer.js';
import { EtcdStore } from '../../control-plane/src/store/etcd-store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';

const TTL_SECONDS = 2;
const KEY = '/sluice/health/web/10.0.0.1:80/r1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a lease lost while etcd stays down: the entries come back once etcd does', { timeout: 60_000 }, async (t) => {
  const etcd = await EtcdCluster.start(1);
  t.after(() => etcd.stop());
  const store = new EtcdStore({ endpoints: etcd.endpoints, requestTimeoutMs: 1000 });
  t.after(() => store.close());
  const writer = new HealthWriter(store.leases(), { replicaId: 'r1', ttlSeconds: TTL_SECONDS });
  t.after(() => writer.close(true).catch(() => undefined));

  assert.equal(await writer.put({ cluster: 'web', address: '10.0.0.1', port: 80, health: Health.UNHEALTHY }), true);
  assert.match(await etcdctl(etcd.endpoints, 'get', KEY, '--print-value-only'), /UNHEALTHY/);

  // Down for well over 2 × TTL, long enough for a lease to expire and a re-grant to fail.
  await etcd.kill();
  await sleep(4 * TTL_SECONDS * 1000);
  await etcd.restart();

  // The old lease is no longer kept alive: it expires one TTL after etcd is back. The entry must be
  // there (again) well after that.
  await sleep((TTL_SECONDS + 4) * 1000);
  const value = (await etcdctl(etcd.endpoints, 'get', KEY, '--print-value-only')).trim();
  assert.match(value, /UNHEALTHY/, 'the entry was written again under the new lease');
  // And it lives on a lease that is kept alive.
  await sleep((TTL_SECONDS + 1) * 1000);
  assert.match(await etcdctl(etcd.endpoints, 'get', KEY, '--print-value-only'), /UNHEALTHY/, 'still there one TTL later');
});
