// With two control-plane replicas on one etcd, a `scope: mesh` limit is split between them by their
// share of the fleet: two proxies follow replica A, one follows replica B, so A's buckets hold and
// refill two thirds of the limit and B's one third (fleet-share.ts). Driven well above the limit,
// the three proxies together still admit no more than burst + rate × seconds, and most of it, and
// B's one proxy no more than a third of that.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { EtcdCluster } from '../../support/etcd-cluster.js';
import { startProcessReplica } from '../../support/replicas-on-etcd.js';
import { tokenDir } from '../../support/token-file.js';
import { bound, driveLoad, fallbacks, figures, sum } from './support/drive-load.js';
import { LIMITED_HOST, rateLimitedFleet } from './support/rate-limited-fleet.js';

const LIMIT = { rate: 20, burst: 20 } as const;

test('scope mesh over two replicas: the proxies of both together admit at most burst + rate × seconds', { timeout: 120_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const { dir, token, tokenFile } = tokenDir('sluice-rate-limit-');
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const etcd = await EtcdCluster.start(1);
  cleanup(() => etcd.stop());
  const [a, b] = [await startProcessReplica(etcd, cleanup, { token, leaseTtlSeconds: 5 }), await startProcessReplica(etcd, cleanup, { token, leaseTtlSeconds: 5 })];
  await Promise.all([a!.ready(30_000), b!.ready(30_000)]);
  const fleet = await rateLimitedFleet(cleanup, [
    { name: 'gw-a', workers: 1, controlPlane: a!.discoveryAddress },
    { name: 'gw-b', workers: 1, controlPlane: a!.discoveryAddress },
    { name: 'gw-c', workers: 1, controlPlane: b!.discoveryAddress },
  ], tokenFile, dir);
  const apply = await fetch(`${a!.apiUrl}/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' }, body: fleet.yaml({ ...LIMIT, scope: 'mesh' }) });
  assert.equal(apply.status, 200, await apply.text());
  await fleet.start();
  // Each replica's view of the fleet holds all three proxies: the shares are 2/3 and 1/3.
  await fleet.converged(a!.apiUrl, token);
  await fleet.converged(b!.apiUrl, token);

  const load = await driveLoad(fleet.ports, { host: LIMITED_HOST, seconds: 5, clientsPerPort: 6, pauseMs: 30 });
  const fellBackBy = await Promise.all(fleet.admins.map(async (port) => sum(Object.values(await fallbacks(port)))));
  const seen = `${figures(load, LIMIT)}; fallbacks ${fellBackBy.join(' ')}`;
  t.diagnostic(`two replicas: ${seen}`);
  assert.equal(load.other, 0, seen);
  // Tokens exist only where a replica granted them, unless a Borrow went unanswered for 500 ms (a
  // machine too loaded): that proxy then also admits from its own bucket, up to the whole limit.
  const alone = (i: number): number => (fellBackBy[i]! > 0 ? bound(load, LIMIT) : 0);
  assert.ok(sum(load.admitted) <= bound(load, LIMIT) + sum(fleet.admins.map((_, i) => alone(i))), `over the bound: ${seen}`);
  // Replica B holds a third of the limit: its one proxy admits no more, though offered as much as the others.
  assert.ok(load.admitted[2]! <= bound(load, LIMIT) / 3 + alone(2), `replica B's proxy over a third of the bound: ${seen}`);
  const offered = sum(load.admitted) + load.refused;
  assert.ok(sum(load.admitted) >= 0.6 * Math.min(bound(load, LIMIT), offered), `far under the bound: ${seen}`);
  assert.ok(load.admitted.every((n) => n > 0), `every proxy admits some: ${seen}`);
});
