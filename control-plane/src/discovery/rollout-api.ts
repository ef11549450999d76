// Admin API routes for rollout status: GET /v1/proxies and GET /v1/rollout?revision=R.
import type { ApiRoute } from '../api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ProxyRegistry } from './proxy-registry.js';

/** `currentRevision`: the default R, the latest store revision this replica has seen. */
export function rolloutRoutes(registry: ProxyRegistry, currentRevision: () => number): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/proxies',
      role: 'viewer',
      handler: () => ({ status: 200, body: { proxies: registry.proxies() } }),
    },
    {
      method: 'GET',
      path: '/v1/rollout',
      role: 'viewer',
      handler: (ctx) => {
        const raw = ctx.url.searchParams.get('revision');
        let revision = currentRevision();
        if (raw !== null && raw !== '') {
          if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
            throw new ControlPlaneError(ErrorCode.BadRequest, `revision must be a non-negative integer, got "${raw}"`, {
              errors: [{ path: 'revision', message: `must be a non-negative integer, got "${raw}"` }],
            });
          }
          revision = Number(raw);
        }
        return { status: 200, body: registry.rollout(revision) };
      },
    },
  ];
}
