// `sluice ctl rollout --wait` against a live control plane: succeeds once every proxy ACKed the last
// apply, fails when one NACKs it, and times out while one has not answered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, CtlError } from '../../control-plane/src/cli/ctl/api-client.js';
import { runCtlRollout } from '../../control-plane/src/cli/ctl/ctl-rollout.js';
import type { ResourceSet } from '../../proto/src/model/resource-set.js';
import { cluster, RawStream, route, startMesh, startProxy, TEST_TOKEN, type Replica, type TestProxy } from './support/discovery-fixture.js';
import { until } from '../support/until.js';

let mesh: Awaited<ReturnType<typeof startMesh>>;
let cp: Replica;
let proxies: TestProxy[] = [];
let client: ApiClient;

async function refuseUnlucky(set: ResourceSet): Promise<void> {
  if (set.list('Route').some((r) => r.priority === 13)) throw new Error('priority 13 is not supported');
}

before(async () => {
  mesh = await startMesh();
  cp = mesh.cp;
  await cp.api.apply([cluster('web')]);
  proxies = [await startProxy([cp.address], { nodeId: 'wait-1' }), await startProxy([cp.address], { nodeId: 'wait-2', apply: refuseUnlucky })];
  await until('both proxies connected', () => proxies.every((p) => p.client.current.has('Cluster', 'web')), 8_000);
  client = new ApiClient(cp.api.url, TEST_TOKEN);
});

after(async () => {
  for (const p of proxies) await p.stop();
  await mesh?.stop();
});

test('rollout --wait returns once every connected proxy ACKed the last apply', async () => {
  const res = await cp.api.apply([route('wait-ok', 'web')]);
  const revision = Number(res.headers.get('sluice-revision'));
  const out = await runCtlRollout(client, { wait: true, timeoutMs: 10_000, pollMs: 50 });
  assert.match(out, new RegExp(`^revision ${revision}: 2 proxies connected, 2 at, 0 behind, 0 rejecting$`));
  assert.ok(proxies.every((p) => p.client.current.has('Route', 'wait-ok')));
});

test('rollout --wait fails, naming the proxy and its error, when a proxy NACKs the apply', async () => {
  await cp.api.apply([route('wait-bad', 'web', { priority: 13 })]);
  await assert.rejects(runCtlRollout(client, { wait: true, timeoutMs: 10_000, pollMs: 50 }), (err: unknown) => {
    assert.ok(err instanceof CtlError);
    assert.match(err.message, /1 of 2 proxies rejected revision \d+/);
    assert.match(err.format(), /wait-2 .*priority 13 is not supported/);
    return true;
  });
  const printed = await runCtlRollout(client, { wait: false, timeoutMs: 0 });
  assert.match(printed, /1 at, 0 behind, 1 rejecting\n {2}wait-2 \(.+\) rejected revision \d+: SLUICE_APPLY_FAILED/);
  // Fixed: later tests start clean once both proxies run the fix (else wait-2's rejection of the
  // old revision is still what the next test's rollout sees).
  await cp.api.apply([route('wait-bad', 'web', { priority: 3 })]);
  assert.match(await runCtlRollout(client, { wait: true, timeoutMs: 10_000, pollMs: 50 }), /2 at, 0 behind, 0 rejecting$/);
});

test('rollout --wait times out while a proxy has not answered', async () => {
  const silent = new RawStream(cp.address);
  try {
    silent.send({ node: { id: 'silent' }, type: 'Route', subscribe: ['*'] });
    await silent.response(0); // received, never ACKed
    await assert.rejects(runCtlRollout(client, { wait: true, timeoutMs: 400, pollMs: 50 }), /timed out after 400 ms: 2 of 3 proxies at revision \d+, 1 behind/);
  } finally {
    silent.close();
  }
});
