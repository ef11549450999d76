// A route applied through the admin API reaches a connected proxy, and the rollout API says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cluster, route, startMesh, startProxy, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
let proxy: TestProxy;

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  proxy = await startProxy([cp.address], { nodeId: 'reach-1' });
});

after(async () => {
  await proxy?.stop();
  await mesh?.stop();
});

test('a route applied through the API reaches a connected proxy', async () => {
  const res = await cp.api.apply([cluster('web'), route('web', 'web')]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const revision = Number(res.headers.get('sluice-revision'));
  await until('the proxy applied the route', () => proxy.client.current.has('Route', 'web'), 8_000);
  assert.equal(proxy.client.current.get('Route', 'web')?.action.case, 'forward');
  assert.ok(proxy.client.current.has('Cluster', 'web'));
  assert.ok(proxy.client.revision >= revision, `proxy at ${proxy.client.revision}, write at ${revision}`);
  assert.deepEqual(proxy.rejected, []);
});

test('GET /v1/proxies lists the proxy with its ACKed revision, and /v1/rollout counts it at the revision', async () => {
  const res = await cp.api.apply([route('api', 'web')]);
  const revision = Number(res.headers.get('sluice-revision'));
  await until('the proxy ACKed the revision', async () => (await cp.api.get(`/v1/rollout?revision=${revision}`)).body.at === 1, 8_000);
  const proxies = await cp.api.get('/v1/proxies');
  assert.equal(proxies.status, 200);
  assert.equal(proxies.body.proxies.length, 1);
  const p = proxies.body.proxies[0];
  assert.equal(p.nodeId, 'reach-1');
  assert.equal(p.service, 'test');
  assert.match(p.address, /127\.0\.0\.1/);
  assert.ok(p.ackedRevision >= revision);
  assert.ok(Date.parse(p.connectedSince) <= Date.now());
  assert.deepEqual(p.rejected, []);
  const rollout = await cp.api.get('/v1/rollout');
  assert.deepEqual({ ...rollout.body, revision: 0 }, { revision: 0, proxies: 1, at: 1, behind: 0, rejecting: 0, errors: [], lagging: [], truncated: false });
  const future = await cp.api.get(`/v1/rollout?revision=${revision + 1000}`);
  assert.equal(future.body.behind, 1, 'a revision nobody has reached counts as behind');
  assert.deepEqual(future.body.lagging.map((l: { nodeId: string }) => l.nodeId), ['reach-1']);
  assert.equal((await cp.api.get('/v1/rollout?revision=abc')).status, 400);
  assert.equal((await cp.api.get('/v1/proxies', { token: null })).status, 401);
});

test('a deleted route disappears from the proxy', async () => {
  const res = await cp.api.delete('/v1/routes/api');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await until('the proxy removed the route', () => !proxy.client.current.has('Route', 'api'), 8_000);
  assert.ok(proxy.client.current.has('Route', 'web'));
});

test('a listener that throws does not stop the client from applying later responses', async () => {
  let thrown = 0;
  const boom = (): void => {
    thrown++;
    throw new Error('listener bug');
  };
  proxy.client.on('applied', boom);
  try {
    await cp.api.apply([route('after-bug-1', 'web')]);
    await until('the first route arrived', () => proxy.client.current.has('Route', 'after-bug-1'), 8_000);
    await cp.api.apply([route('after-bug-2', 'web')]);
    await until('a later route still arrives', () => proxy.client.current.has('Route', 'after-bug-2'), 8_000);
    assert.ok(thrown >= 2, `the listener ran ${thrown} times`);
  } finally {
    proxy.client.off('applied', boom);
  }
});
