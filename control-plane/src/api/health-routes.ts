// Probes: /healthz (the process answers) and /readyz (the store has been read once, so reads work, and
// the parts that serve proxies, discovery first, are listening: a Kubernetes Service sends proxies to
// a pod only once it is ready, so ready must mean the discovery port answers too).
// Neither needs the token. /readyz stays 200 while etcd is down: this replica still serves reads from
// its last watched state, and taking every replica out of service would lose those too.
import type { ResourceCache } from '../store/resource-cache.js';
import type { ApiRoute } from './api-route.js';

/** Ready: the store has been read once and `serving` (discovery listening) says so. The discovery port's grpc.health.v1 answers with it too. */
export function isReady(cache: Pick<ResourceCache, 'revision'>, serving: () => boolean): boolean {
  return cache.revision > 0 && serving();
}

export function healthRoutes(cache: ResourceCache, serving: () => boolean = () => true): ApiRoute[] {
  return [
    { method: 'GET', path: '/healthz', role: 'public', handler: () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      role: 'public',
      handler: () => {
        const ready = isReady(cache, serving);
        const store = cache.live ? 'reachable' : 'unreachable';
        return { status: ready ? 200 : 503, body: { ready, store, revision: cache.revision } };
      },
    },
  ];
}
