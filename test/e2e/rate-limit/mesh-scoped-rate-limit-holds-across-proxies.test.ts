// A `rate-limit` with `scope: mesh` holds across proxies: three real `sluice proxy` processes (one of
// them with --workers 2) follow one real control plane (embedded store) and serve a route limited to
// 20 requests a second with a burst of 20, for the key `global`. Driven well above the limit for about
// 5 s, together they admit no more than burst + rate × seconds, and most of it. The same route with
// `scope: proxy` admits about three times that (each proxy its own bucket): the count can tell the
// two apart. With the control plane gone, a proxy decides alone from its own bucket (fail open) and
// counts it in sluice_proxy_rate_limit_fallbacks_total.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { stopChild } from '../../support/process-guard.js';
import { startMeshControlPlane } from '../mtls/support/mesh-control-plane.js';
import { bound as boundOf, driveLoad, fallbacks, figures as figuresOf, sum, type LoadResult } from './support/drive-load.js';
import { LIMITED_HOST, rateLimitedFleet } from './support/rate-limited-fleet.js';

const LIMIT = { rate: 20, burst: 20 } as const;
// Three to four times the limit on an idle machine; on a loaded one each request takes longer, and a
// fourth client per proxy keeps the load above the limit.
const LOAD = { host: LIMITED_HOST, seconds: 5, clientsPerPort: 4, pauseMs: 20 } as const;

const bound = (r: LoadResult): number => boundOf(r, LIMIT);
const figures = (r: LoadResult): string => figuresOf(r, LIMIT);

test('scope mesh: three proxies together admit at most burst + rate × seconds; scope proxy admits each its own; no control plane: each decides alone', { timeout: 120_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const cp = await startMeshControlPlane(cleanup);
  const fleet = await rateLimitedFleet(cleanup, [
    { name: 'gw-a', workers: 1, controlPlane: cp.discovery },
    { name: 'gw-b', workers: 1, controlPlane: cp.discovery },
    { name: 'gw-c', workers: 2, controlPlane: cp.discovery },
  ], cp.tokenFile, cp.dir);
  const { ports, admins } = fleet;
  await cp.apply(fleet.yaml({ ...LIMIT, scope: 'proxy' }));
  await fleet.start();
  await fleet.converged(cp.api, cp.token);

  // 1. scope: proxy: each proxy its own bucket.
  const alone = await driveLoad(ports, LOAD);
  t.diagnostic(`scope proxy: ${figures(alone)}`);
  assert.equal(alone.other, 0, figures(alone));
  // About three times the bound on an idle machine; more than 1.5 times shows the mesh's count can fail.
  assert.ok(sum(alone.admitted) > 1.5 * bound(alone), `each proxy should admit its own limit: ${figures(alone)}`);

  // 2. scope: mesh: the control plane's bucket, shared.
  await cp.apply(fleet.yaml({ ...LIMIT, scope: 'mesh' }));
  await fleet.converged(cp.api, cp.token);
  const before = await Promise.all(admins.map(fallbacks));
  const shared = await driveLoad(ports, LOAD);
  const after = await Promise.all(admins.map(fallbacks));
  const fellBackBy = after.map((f, i) => sum(Object.values(f)) - sum(Object.values(before[i]!)));
  t.diagnostic(`scope mesh: ${figures(shared)}; fallbacks ${fellBackBy.join(' ')}`);
  assert.equal(shared.other, 0, figures(shared));
  // Tokens exist only where the control plane granted them, unless a Borrow went unanswered for
  // 500 ms (a machine too loaded): that proxy then also admits from its own bucket (fail open).
  const decidedAlone = fellBackBy.filter((n) => n > 0).length;
  assert.ok(sum(shared.admitted) <= bound(shared) * (1 + decidedAlone), `over the bound: ${figures(shared)}; fallbacks ${fellBackBy.join(' ')}`);
  const offered = sum(shared.admitted) + shared.refused;
  assert.ok(sum(shared.admitted) >= 0.6 * Math.min(bound(shared), offered), `far under the bound: ${figures(shared)}`);
  assert.ok(shared.admitted.every((n) => n > 0), `every proxy admits some: ${figures(shared)}`);

  // 3. The control plane is gone: the proxies keep the mesh-scoped route and decide alone.
  await stopChild(cp.process.child, 0, 'SIGKILL');
  const orphaned = await driveLoad([ports[0]!, ports[2]!], { ...LOAD, seconds: 2 });
  const counted = await Promise.all([admins[0]!, admins[2]!].map(fallbacks));
  t.diagnostic(`no control plane: ${figures(orphaned)}; fallbacks ${JSON.stringify(counted)}`);
  assert.ok(orphaned.admitted.every((n) => n > 0 && n <= bound(orphaned)), `each decides alone, within its own bucket: ${figures(orphaned)}`);
  for (const c of counted) assert.ok((c['disconnected'] ?? 0) + (c['timeout'] ?? 0) + (c['error'] ?? 0) > 0, `fallbacks counted: ${JSON.stringify(counted)}`);
});
