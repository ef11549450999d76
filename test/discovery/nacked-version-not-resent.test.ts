// A resource the proxy rejects is NACKed, shows up in /v1/rollout with the proxy's error, and is not
// sent again until it changes; good changes keep flowing meanwhile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { cluster, RawStream, route, sleep, startMesh, startProxy, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
let proxy: TestProxy;

/** This proxy cannot serve routes with priority 13 (a stand-in for any proxy-side limit). */
async function refuseUnlucky(set: ResourceSet): Promise<void> {
  const bad = set.list('Route').find((r) => r.priority === 13);
  if (bad !== undefined) throw new Error(`route ${bad.name}: priority 13 is not supported by this proxy`);
}

const sent = (p: TestProxy, name: string): number => p.responses.filter((r) => r.resources.some((x) => x.name === name)).length;

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  await cp.api.apply([cluster('web'), route('good', 'web')]);
  proxy = await startProxy([cp.address], { nodeId: 'nack-1', apply: refuseUnlucky });
  await until('initial configuration', () => proxy.client.current.has('Route', 'good'), 8_000);
});

after(async () => {
  await proxy?.stop();
  await mesh?.stop();
});

test('a rejected route is NACKed, recorded in /v1/rollout with the error, and not resent', async () => {
  const res = await cp.api.apply([route('unlucky', 'web', { priority: 13 })]);
  const revision = Number(res.headers.get('sluice-revision'));
  await until('the NACK reached the rollout', async () => (await cp.api.get(`/v1/rollout?revision=${revision}`)).body.rejecting === 1, 8_000);
  const rollout = (await cp.api.get(`/v1/rollout?revision=${revision}`)).body;
  assert.equal(rollout.at, 0);
  assert.equal(rollout.errors.length, 1);
  assert.equal(rollout.errors[0].nodeId, 'nack-1');
  assert.match(rollout.errors[0].error, /SLUICE_APPLY_FAILED.*priority 13 is not supported/s);
  const listed = (await cp.api.get('/v1/proxies')).body.proxies[0];
  assert.deepEqual(listed.rejected.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`), ['Route/unlucky']);
  assert.match(listed.lastError.error, /priority 13/);
  assert.equal(proxy.client.current.has('Route', 'unlucky'), false, 'the proxy keeps its last good configuration');

  // Unrelated changes reach the proxy, and the rejected version does not come along.
  await cp.api.apply([route('later', 'web')]);
  await until('the later route arrived', () => proxy.client.current.has('Route', 'later'), 8_000);
  await sleep(300);
  assert.equal(sent(proxy, 'unlucky'), 1, 'the NACKed version was sent exactly once');
  const older = (await cp.api.get(`/v1/rollout?revision=${revision - 1}`)).body;
  assert.equal(older.at, 1, 'the proxy still counts as at the revisions before the rejected one');
});

test('a fixed version of the rejected route is sent, applied, and clears the rejection', async () => {
  const res = await cp.api.apply([route('unlucky', 'web', { priority: 12 })]);
  const revision = Number(res.headers.get('sluice-revision'));
  await until('the fixed route arrived', () => proxy.client.current.get('Route', 'unlucky')?.priority === 12, 8_000);
  await until('rollout at the fix', async () => (await cp.api.get(`/v1/rollout?revision=${revision}`)).body.at === 1, 8_000);
  assert.equal(sent(proxy, 'unlucky'), 2);
  const listed = (await cp.api.get('/v1/proxies')).body.proxies[0];
  assert.deepEqual(listed.rejected, []);
});

test('a NACK naming one resource holds back only that one: the other is resent alone, the named one never', async () => {
  const stream = new RawStream(cp.address);
  try {
    stream.send({ node: { id: 'nack-raw' }, type: 'Cluster', subscribe: ['*'] });
    stream.ack(await stream.response(0));
    stream.send({ type: 'Route', subscribe: ['*'] });
    stream.ack(await stream.response(1));
    await cp.api.apply([route('pair-a', 'web'), route('pair-b', 'web')]);
    const both = await stream.response(2);
    assert.deepEqual(both.resources.map((r) => r.name).sort(), ['pair-a', 'pair-b']);
    stream.nack(both, 'pair-b is not acceptable here', ['pair-b']);
    const again = await stream.response(3);
    assert.deepEqual(again.resources.map((r) => r.name), ['pair-a']);
    stream.ack(again);
    await sleep(300);
    assert.equal(stream.responses.length, 4, 'nothing more: pair-b is held back');
    const status = (await cp.api.get('/v1/proxies')).body.proxies.find((p: { nodeId: string }) => p.nodeId === 'nack-raw');
    assert.deepEqual(status.rejected.map((r: { name: string }) => r.name), ['pair-b']);
  } finally {
    stream.close();
  }
});
