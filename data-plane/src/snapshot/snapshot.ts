// One immutable configuration of the proxy: route matchers per listener and clusters with their
// balancers and pools. A request takes the current snapshot when it starts and finishes on it; an
// update builds a new one next to it and swaps the reference (docs/data-plane.md, "Configuration updates").
import type { FieldError } from '../../../proto/src/model/field-error.js';
import type { Listener } from '../../../proto/gen/sluice/v1/listener_pb.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { selectsWorkload } from '../../../proto/src/model/selects-workload.js';
import { RequestAuthorization } from '../authorization/request-authorization.js';
import type { Workload } from '../authorization/authorizer.js';
import type { FilterRegistry } from '../filters/filter-registry.js';
import type { HttpFilter } from '../proxy/proxy-http.js';
import { CompiledRoute } from '../routing/compiled-route.js';
import { RouteMatcher } from '../routing/route-matcher.js';
import type { Peer } from '../upstream/peer.js';
import { ClusterState, fingerprintOf, type ClusterContext } from './cluster-state.js';

export class Snapshot {
  constructor(
    /** Increases by one per applied update. */
    readonly version: number,
    readonly resources: ResourceSet,
    readonly clusters: ReadonlyMap<string, ClusterState>,
    readonly listeners: ReadonlyMap<string, Listener>,
    private readonly matchers: ReadonlyMap<string, RouteMatcher>,
    /** Routes bound to no listener: what a listener without routes of its own serves. */
    private readonly defaultMatcher: RouteMatcher,
    /** Filter instances by route, name and config, carried into the next snapshot when unchanged. */
    readonly filterInstances: ReadonlyMap<string, HttpFilter>,
    /** The AuthorizationPolicies that select this proxy, compiled for its guarded listeners. */
    readonly authorization: RequestAuthorization,
  ) {}

  /** The route matcher of a listener. */
  matcher(listenerName: string): RouteMatcher {
    return this.matchers.get(listenerName) ?? this.defaultMatcher;
  }
}

/** A proxy started without --service or --namespace: only mesh-wide policies select it. */
const NO_WORKLOAD: Workload = Object.freeze({ service: '', namespace: '' });

export type BuildResult =
  | { readonly ok: true; readonly snapshot: Snapshot; readonly retiredClusters: readonly ClusterState[]; readonly retiredPeers: readonly Peer[] }
  | { readonly ok: false; readonly errors: FieldError[] };

/**
 * Builds the snapshot for `set` (already validated: references resolve). `previous` lends its
 * unchanged clusters and filter instances. Errors (an unknown filter, a bad filter config) leave
 * `previous` serving. `context` gives new cluster states the proxy's zone, the active checks' verdicts
 * (so a snapshot built later keeps them) and where to report ejections.
 */
export function buildSnapshot(set: ResourceSet, previous: Snapshot | undefined, filters: FilterRegistry, context: ClusterContext = {}, workload: Workload = NO_WORKLOAD): BuildResult {
  const errors: FieldError[] = [];
  const filterInstances = new Map<string, HttpFilter>();
  const routes: CompiledRoute[] = [];
  for (const route of set.list('Route')) {
    const chain: HttpFilter[] = [];
    route.filters.forEach((ref, i) => {
      const path = `routes[${route.name}].filters[${i}]`;
      const config = ref.config ?? {};
      const key = `${route.name}|${ref.name}|${JSON.stringify(config)}`;
      const reuse = previous?.filterInstances.get(key) ?? filterInstances.get(key);
      if (reuse !== undefined) {
        filterInstances.set(key, reuse);
        chain.push(reuse);
        return;
      }
      const factory = filters.get(ref.name);
      if (factory === undefined) {
        errors.push({ path: `${path}.name`, message: `unknown filter "${ref.name}" (known: ${filters.names().join(', ')})` });
        return;
      }
      try {
        const filter = factory(config, filters.context(key));
        filterInstances.set(key, filter);
        chain.push(filter);
      } catch (err) {
        errors.push({ path: `${path}.config`, message: (err as Error).message });
      }
    });
    try {
      routes.push(new CompiledRoute(route, chain));
    } catch (err) {
      errors.push({ path: `routes[${route.name}]`, message: (err as Error).message });
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  // Clusters only once nothing can refuse the update: a ClusterState takes the previous peers over
  // (owner, weight, health), so building one for a snapshot that is then refused would leave the
  // serving cluster's peers pointing at a state nobody serves (an un-ejection would refresh that).
  const clusters = new Map<string, ClusterState>();
  const retiredPeers: Peer[] = [];
  for (const cluster of set.list('Cluster')) {
    const endpoints = set.get('Endpoints', cluster.name);
    const old = previous?.clusters.get(cluster.name);
    const certificates = (name: string) => set.get('Certificate', name);
    if (old !== undefined && old.fingerprint === fingerprintOf(cluster, endpoints, certificates)) {
      clusters.set(cluster.name, old);
      continue;
    }
    const state = new ClusterState(cluster, endpoints, old, certificates, context);
    retiredPeers.push(...state.retiredPeers);
    clusters.set(cluster.name, state);
  }
  const retiredClusters = [...(previous?.clusters.values() ?? [])].filter((c) => !clusters.has(c.name));

  // A listener whose selector picks other proxies is not served here, whether it came from a --config
  // file or from a control plane (which should not have sent it): defence in depth for its keys.
  const listeners = new Map(set.list('Listener').filter((l) => selectsWorkload(l.selector, workload)).map((l) => [l.name, l]));
  const matchers = new Map<string, RouteMatcher>();
  for (const name of listeners.keys()) {
    matchers.set(name, new RouteMatcher(routes.filter((r) => r.listeners.length === 0 || r.listeners.includes(name))));
  }
  const defaultMatcher = new RouteMatcher(routes.filter((r) => r.listeners.length === 0));
  const authorization = new RequestAuthorization(set.list('AuthorizationPolicy'), workload, listeners.keys());
  const snapshot = new Snapshot((previous?.version ?? 0) + 1, set, clusters, listeners, matchers, defaultMatcher, filterInstances, authorization);
  return { ok: true, snapshot, retiredClusters, retiredPeers };
}
