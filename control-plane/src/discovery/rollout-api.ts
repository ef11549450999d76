// Admin API routes for the fleet's state, answered by any replica for every proxy of every replica
// (fleet-status.ts): GET /v1/proxies (paged, filtered) and GET /v1/rollout?revision=R.
import type { ApiRoute } from '../api/api-route.js';
import type { FleetStatus } from './fleet-status.js';
import { page, parseProxyQuery, selectProxies } from './proxy-query.js';
import { syncStateOf } from './proxy-status.js';
import { rolloutOf } from './rollout-status.js';

/** `currentRevision`: the default R, the latest store revision this replica has seen. */
export function rolloutRoutes(fleet: FleetStatus, currentRevision: () => number): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/proxies',
      role: 'viewer',
      handler: (ctx) => {
        const q = parseProxyQuery(ctx.url.searchParams);
        const revision = q.revision ?? currentRevision();
        const selected = selectProxies(fleet.proxies(), q, revision);
        const { items, continue: next } = page(selected, q);
        const proxies = items.map((p) => ({ ...p, state: syncStateOf(p, revision) }));
        return { status: 200, body: { revision, total: selected.length, proxies, ...(next === undefined ? {} : { continue: next }) } };
      },
    },
    {
      method: 'GET',
      path: '/v1/rollout',
      role: 'viewer',
      handler: (ctx) => {
        const q = parseProxyQuery(ctx.url.searchParams);
        const revision = q.revision ?? currentRevision();
        return { status: 200, body: rolloutOf(selectProxies(fleet.proxies(), q, revision), revision, q.limit) };
      },
    },
  ];
}
