// Probes: /healthz (the process answers) and /readyz (the store has been read once, so reads work).
// Neither needs the token. /readyz stays 200 while etcd is down: this replica still serves reads from
// its last watched state, and taking every replica out of service would lose those too.
import type { ResourceCache } from '../store/resource-cache.js';
import type { ApiRoute } from './api-route.js';

export function healthRoutes(cache: ResourceCache): ApiRoute[] {
  return [
    { method: 'GET', path: '/healthz', auth: false, handler: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      auth: false,
      handler: () => {
        const synced = cache.revision > 0;
        const store = cache.live ? 'reachable' : 'unreachable';
        return { status: synced ? 200 : 503, body: { ready: synced, store, revision: cache.revision } };
      },
    },
  ];
}
