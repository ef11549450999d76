// Probes: /healthz (the process answers) and /readyz (the store has been read once, so reads work, and
// the parts that serve proxies, discovery first, are listening: a Kubernetes Service sends proxies to
// a pod only once it is ready, so ready must mean the discovery port answers too).
// Neither needs the token. /readyz stays 200 while etcd is down: this replica still serves reads from
// its last watched state, and taking every replica out of service would lose those too.
import type { ResourceCache } from '../store/resource-cache.js';
import type { ApiRoute } from './api-route.js';

export function healthRoutes(cache: ResourceCache, serving: () => boolean = () => true): ApiRoute[] {
  return [
    { method: 'GET', path: '/healthz', role: 'public', handler: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      role: 'public',
      handler: () => {
        const synced = cache.revision > 0;
        const ready = synced && serving();
        const store = cache.live ? 'reachable' : 'unreachable';
        return { status: ready ? 200 : 503, body: { ready, store, revision: cache.revision } };
      },
    },
  ];
}
