// A proxy that fails over to a replica whose snapshot is older than the configuration it holds must
// not be told to remove what it holds: the replica waits to catch up (the proxy sends known_revision).
// A replica cut off from its store refuses new streams, so proxies go to one that is not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { cluster, route, startProxy, startReplica, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let etcd: EtcdCluster;
let ahead: Replica;
let lagging: Replica;
let proxy: TestProxy;

before(async () => {
  etcd = await EtcdCluster.start();
  ahead = await startReplica(etcd);
  // Its snapshots trail the store by most of a second: the window a failover can fall into.
  lagging = await startReplica(etcd, { debounceMs: 900 });
  const res = await ahead.api.apply([cluster('web'), route('before', 'web')]);
  const revision = Number(res.headers.get('sluice-revision'));
  await until('the lagging replica has the first configuration', () => lagging.discovery.snapshots.current.revision >= revision, 8_000);
  // The client starts at a random address of its list; this scenario needs it on `ahead` first.
  for (let attempt = 0; ; attempt++) {
    proxy = await startProxy([ahead.address, lagging.address], { nodeId: 'lag-1' });
    await until('initial configuration', () => proxy.client.current.has('Route', 'before'), 8_000);
    if (proxy.client.connectedTo === ahead.address || attempt === 20) break;
    await proxy.stop();
  }
});

after(async () => {
  await proxy?.stop();
  await ahead?.stop().catch(() => undefined);
  await lagging?.stop().catch(() => undefined);
  await etcd?.stop();
});

test('failing over to a replica that has not yet seen the latest route never removes it from the proxy', async () => {
  assert.equal(proxy.client.connectedTo, ahead.address);
  await ahead.api.apply([route('latest', 'web')]);
  await until('the proxy has the latest route', () => proxy.client.current.has('Route', 'latest'), 8_000);
  assert.ok(!lagging.discovery.snapshots.current.has('Route', 'latest'), 'the lagging replica has not built it yet (else this test proves nothing)');
  const seen = proxy.responses.length;
  const appliedBefore = proxy.applied.length;

  // Every replica lists the whole fleet: the lagging one's own entry for lag-1 names another replica.
  type Listed = { nodeId: string; replica: string; ackedRevision: number };
  const onAhead = await until('the ahead replica lists lag-1', async () => ((await ahead.api.get('/v1/proxies')).body.proxies as Listed[]).find((p) => p.nodeId === 'lag-1'), 8_000);
  await ahead.stop();
  await until('reconnected to the lagging replica', async () =>
    ((await lagging.api.get('/v1/proxies')).body.proxies as Listed[]).some((p) => p.nodeId === 'lag-1' && p.replica !== onAhead.replica && p.ackedRevision > 0), 10_000);
  assert.equal(proxy.client.connectedTo, lagging.address);
  const removals = proxy.responses.slice(seen).flatMap((r) => r.removedResources);
  assert.deepEqual(removals, [], 'the lagging replica sent no removal');
  for (const a of proxy.applied.slice(appliedBefore)) assert.ok(a.set.has('Route', 'latest'), `an apply at revision ${a.revision} lost the route`);
  assert.ok(proxy.client.current.has('Route', 'latest'));
  assert.deepEqual(proxy.rejected, []);
});

test('a replica that cannot reach its store refuses new streams with UNAVAILABLE', async () => {
  const ownEtcd = await EtcdCluster.start();
  const cutOff = await startReplica(ownEtcd);
  try {
    await ownEtcd.kill();
    await until('the replica noticed its store is gone', async () => (await cutOff.api.put('/v1/clusters/x', cluster('x'))).status === 503, 10_000);
    const refused: number[] = [];
    const probe = await startProxy([cutOff.address], { nodeId: 'lag-probe' });
    probe.client.on('disconnected', (_address, err) => refused.push((err as { code?: number } | undefined)?.code ?? -1));
    try {
      await until('the stream was refused', () => refused.length > 0, 8_000);
      assert.equal(refused[0], 14, 'gRPC status UNAVAILABLE');
      assert.equal((await cutOff.api.get('/v1/proxies')).body.proxies.length, 0);
    } finally {
      await probe.stop();
    }
  } finally {
    await cutOff.stop().catch(() => undefined);
    await ownEtcd.stop();
  }
});
