// A proxy that reconnects with initial_resource_versions gets nothing it already holds; a proxy
// restarted while the control plane is down starts from the configuration it persisted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cluster, RawStream, route, sleep, startMesh, startProxy, type Replica } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
const dir = mkdtempSync(join(tmpdir(), 'sluice-discovery-'));
const persistPath = join(dir, 'last-good.json');

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  const routes = Array.from({ length: 20 }, (_, i) => route(`r${i}`, 'web'));
  await cp.api.apply([cluster('web'), ...routes]);
});

after(async () => {
  await mesh?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a reconnect with unchanged versions gets nothing resent, and only what changed meanwhile', async () => {
  const first = await startProxy([cp.address], { nodeId: 'reconnect-1', persistPath });
  await until('the first proxy has every route', () => first.client.current.list('Route').length === 20, 8_000);
  await first.stop();
  assert.equal(statSync(persistPath).mode & 0o777, 0o600, 'the persisted file is private (it may hold keys)');

  const second = await startProxy([cp.address], { nodeId: 'reconnect-1', persistPath });
  try {
    assert.equal(second.applied.length, 1, 'started from the persisted configuration');
    assert.equal(second.applied[0]!.set.list('Route').length, 20);
    await until('connected and in sync', async () => {
      const p = (await cp.api.get('/v1/proxies')).body.proxies[0];
      return p !== undefined && p.ackedRevision >= second.client.revision;
    }, 8_000);
    await sleep(300);
    assert.equal(second.responses.length, 0, 'nothing was resent');

    await cp.api.apply([route('r3', 'web', { priority: 5 })]);
    await until('the change arrived', () => second.client.current.get('Route', 'r3')?.priority === 5, 8_000);
    assert.equal(second.responses.length, 1);
    assert.deepEqual(second.responses[0]!.resources.map((r) => r.name), ['r3']);
  } finally {
    await second.stop();
  }
});

test('a raw reconnect declaring stale versions gets exactly the resources that differ and the removals', async () => {
  const stream = new RawStream(cp.address);
  try {
    stream.send({ node: { id: 'reconnect-raw' }, type: 'Route', subscribe: ['*'] });
    const full = await stream.response(0);
    stream.ack(full);
    const versions = Object.fromEntries(full.resources.map((r) => [r.name, r.version]));
    stream.close();

    const again = new RawStream(cp.address);
    try {
      again.send({
        node: { id: 'reconnect-raw' },
        type: 'Route',
        subscribe: ['*'],
        initialResourceVersions: { ...versions, r7: 'stale', gone: 'v0' },
      });
      const diff = await again.response(0);
      assert.deepEqual(diff.resources.map((r) => r.name), ['r7']);
      assert.deepEqual(diff.removedResources, []);
      again.ack(diff);
      const removal = await again.response(1);
      assert.deepEqual(removal.resources, [], 'removals come after every addition');
      assert.deepEqual(removal.removedResources, ['gone']);
      again.ack(removal);
      await sleep(200);
      assert.equal(again.responses.length, 2);
    } finally {
      again.close();
    }
  } finally {
    stream.close();
  }
});

test('a proxy restarted while the control plane is unreachable starts from its persisted configuration', async () => {
  const nowhere = '127.0.0.1:1';
  const offline = await startProxy([nowhere], { nodeId: 'reconnect-offline', persistPath });
  try {
    assert.equal(offline.applied.length, 1);
    assert.equal(offline.client.current.get('Route', 'r3')?.priority, 5, 'the last good configuration, as persisted');
    assert.ok(offline.client.current.has('Cluster', 'web'));
  } finally {
    await offline.stop();
  }
});
