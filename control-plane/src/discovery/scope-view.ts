// What the proxies of one workload (--service, --namespace) receive of one snapshot: every scoping
// rule depends only on the workload, so the view is computed once per snapshot and workload and
// shared by all its streams (10,000 proxies of 100 services: 100 views, and their maps are the
// shared bases of each stream's known versions). Built from the previous view of the same workload,
// reusing each part whose inputs are the same maps.
//
//   Listener     those whose selector picks the workload
//   Route        those naming a listener it receives (reduced to those listeners), and the mesh-wide
//                ones (naming no listener) — only for the declared hosts when a Sidecar selects it
//   Cluster      those the routes it receives forward to (cluster, weighted clusters or mirrors) and
//                those its TCP listeners pipe to; without a declaration also those no route or
//                listener uses yet (warmed before their route, or picked by name in a proxy's own
//                upstreamPeer code). A cluster only other proxies' routes or listeners use is not sent.
//   Endpoints    those of these clusters
//   Certificate  all, with the private key only of those its listeners serve or its clusters present
//   policies     all (each proxy applies those that select it); Sidecar: none (never sent)
import type { Listener } from '../../../proto/gen/sluice/v1/listener_pb.js';
import type { Route } from '../../../proto/gen/sluice/v1/route_pb.js';
import type { Kind } from '../../../proto/src/model/kinds.js';
import { referencesOf } from '../../../proto/src/model/references.js';
import { selectsWorkload, type SelectedWorkload } from '../../../proto/src/model/selects-workload.js';
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { KindMap, Snapshot } from '../snapshot/snapshot.js';
import { declaredEgress } from './egress-hosts.js';
import { clientCertificates, hasKey, keylessMap, routeWithListeners } from './scoped-encodings.js';

type Overrides = ReadonlyMap<string, EncodedResource | null>;
const NONE: Overrides = new Map();
const EMPTY: KindMap = new Map();

export class ScopeView {
  /** Listeners of the snapshot this workload does not receive. */
  readonly excluded: ReadonlySet<string>;
  /** Certificates served by the listeners it receives. */
  readonly served: ReadonlySet<string>;
  /** Clusters the routes it receives reach. */
  readonly reached: ReadonlySet<string>;
  /** Whether a Sidecar declaration selects the workload. */
  readonly declared: boolean;
  /** Clusters it receives: those reached, and without a declaration those no route uses. */
  readonly clusterNames: ReadonlySet<string>;
  /** Certificates it receives with their private key (their full entry). */
  readonly keyed: Overrides;
  private readonly maps: ReadonlyMap<Kind, KindMap>;
  private readonly moves = new WeakMap<ScopeView, Map<Kind, Set<string>>>();

  private constructor(
    readonly snapshot: Snapshot,
    parts: { excluded: ReadonlySet<string>; served: ReadonlySet<string>; reached: ReadonlySet<string>; declared: boolean; clusterNames: ReadonlySet<string>; keyed: Overrides; maps: Map<Kind, KindMap> },
  ) {
    this.excluded = parts.excluded;
    this.served = parts.served;
    this.reached = parts.reached;
    this.declared = parts.declared;
    this.clusterNames = parts.clusterNames;
    this.keyed = parts.keyed;
    this.maps = parts.maps;
  }

  /** The shared map this workload's resources of `kind` start from. */
  base(kind: Kind): KindMap {
    return this.maps.get(kind) ?? this.snapshot.kind(kind);
  }

  /** Where the workload differs from base(kind): only certificates whose key it receives. */
  overrides(kind: Kind): Overrides {
    return kind === 'Certificate' ? this.keyed : NONE;
  }

  entry(kind: Kind, name: string): EncodedResource | undefined {
    const differs = this.overrides(kind).get(name);
    if (differs !== undefined) return differs ?? undefined;
    return this.base(kind).get(name);
  }

  /**
   * The names whose entry for this workload may differ from `prev` (its view of the snapshot just
   * before) for a reason other than the resource's own change, which snapshot.changed carries: a
   * listener picked or dropped, a route declared or not, a cluster reached or no longer, a key needed.
   */
  movedSince(prev: ScopeView): Map<Kind, Set<string>> {
    let moved = this.moves.get(prev);
    if (moved !== undefined) return moved;
    moved = new Map();
    const same = (kind: Kind): boolean => prev.snapshot.kind(kind) === this.snapshot.kind(kind);
    const diff = (kind: Kind): void => {
      const names = new Set<string>();
      for (const n of [...prev.base(kind).keys(), ...this.base(kind).keys(), ...prev.overrides(kind).keys(), ...this.overrides(kind).keys()]) {
        if (prev.entry(kind, n) !== this.entry(kind, n)) names.add(n);
      }
      if (names.size > 0) moved!.set(kind, names);
    };
    if (!sameSet(prev.excluded, this.excluded)) diff('Listener');
    if (!same('Listener') || !same('Sidecar')) diff('Route');
    if (prev.clusterNames !== this.clusterNames) {
      diff('Cluster');
      diff('Endpoints');
    }
    if (prev.keyed !== this.keyed) {
      const names = new Set<string>();
      for (const n of new Set([...prev.keyed.keys(), ...this.keyed.keys()])) if (prev.keyed.get(n) !== this.keyed.get(n)) names.add(n);
      if (names.size > 0) moved.set('Certificate', names);
    }
    this.moves.set(prev, moved);
    return moved;
  }

  /** The view of `snapshot` for `workload`, reusing what `prev` (an earlier view of it) computed. */
  static build(snapshot: Snapshot, workload: SelectedWorkload, prev: ScopeView | undefined): ScopeView {
    const reusable = (...kinds: Kind[]): boolean => prev !== undefined && kinds.every((k) => prev.snapshot.kind(k) === snapshot.kind(k));
    const maps = new Map<Kind, KindMap>([['Sidecar', EMPTY]]);

    let excluded: ReadonlySet<string>;
    let served: ReadonlySet<string>;
    if (reusable('Listener')) {
      ({ excluded, served } = prev!);
      maps.set('Listener', prev!.base('Listener'));
    } else {
      const ex = new Set<string>();
      const sv = new Set<string>();
      for (const [name, e] of snapshot.kind('Listener')) {
        const listener = e.resource.spec as Listener;
        if (!selectsWorkload(listener.selector, workload)) ex.add(name);
        else for (const c of listener.tls?.certificates ?? []) sv.add(c);
      }
      excluded = prev !== undefined && sameSet(prev.excluded, ex) ? prev.excluded : ex;
      served = sv;
      maps.set('Listener', without(snapshot.kind('Listener'), excluded));
    }

    let reached: ReadonlySet<string>;
    let declared: boolean;
    if (reusable('Listener', 'Route', 'Sidecar')) {
      ({ reached, declared } = prev!);
      maps.set('Route', prev!.base('Route'));
    } else {
      const routes = scopeRoutes(snapshot, workload, excluded);
      // A TCP listener the workload receives reaches its cluster as a route does.
      for (const [name, entry] of snapshot.kind('Listener')) if (!excluded.has(name)) for (const c of clustersOf(entry)) routes.reached.add(c);
      reached = prev !== undefined && sameSet(prev.reached, routes.reached) ? prev.reached : routes.reached;
      declared = routes.declared;
      maps.set('Route', routes.map);
    }
    let clusterNames: ReadonlySet<string>;
    if (prev !== undefined && prev.reached === reached && prev.declared === declared && reusable('Cluster', 'Route', 'Listener')) clusterNames = prev.clusterNames;
    else {
      const names = new Set(reached);
      if (!declared) {
        const routed = routedClusters(snapshot.kind('Route'));
        const listened = routedClusters(snapshot.kind('Listener'));
        for (const name of snapshot.kind('Cluster').keys()) if (!routed.has(name) && !listened.has(name)) names.add(name);
      }
      clusterNames = prev !== undefined && sameSet(prev.clusterNames, names) ? prev.clusterNames : names;
    }

    // Cluster names are references checked on write: as many as the snapshot's clusters means all of them.
    const everyCluster = clusterNames.size === snapshot.kind('Cluster').size;
    const reach = prev?.clusterNames === clusterNames;
    for (const kind of ['Cluster', 'Endpoints'] as const) {
      if (everyCluster) maps.set(kind, snapshot.kind(kind));
      else maps.set(kind, reach && reusable(kind) ? prev!.base(kind) : only(snapshot.kind(kind), clusterNames));
    }

    const certificates = snapshot.kind('Certificate');
    maps.set('Certificate', keylessMap(certificates));
    let keyed: Overrides;
    if (reusable('Listener', 'Certificate') && prev!.base('Cluster') === maps.get('Cluster')) keyed = prev!.keyed;
    else {
      const k = new Map<string, EncodedResource | null>();
      // A proxy needs the key of a client certificate only for a cluster it receives.
      for (const names of [served, clientCertificates(maps.get('Cluster')!)]) {
        for (const name of names) {
          const entry = certificates.get(name);
          if (entry !== undefined && hasKey(entry)) k.set(name, entry);
        }
      }
      keyed = prev !== undefined && sameEntries(prev.keyed, k) ? prev.keyed : k;
    }
    return new ScopeView(snapshot, { excluded, served, reached, declared, clusterNames, keyed, maps });
  }
}

/** The routes a workload receives, the clusters they reach, and whether a declaration selects it. */
function scopeRoutes(snapshot: Snapshot, workload: SelectedWorkload, excluded: ReadonlySet<string>): { map: KindMap; reached: Set<string>; declared: boolean } {
  const egress = declaredEgress(snapshot.kind('Sidecar'), workload);
  const all = snapshot.kind('Route');
  const map = new Map<string, EncodedResource>();
  const reached = new Set<string>();
  let differs = false;
  for (const entry of all.values()) {
    const bound = (entry.resource.spec as Route).listeners;
    let sent: EncodedResource | undefined = entry;
    if (bound.length > 0) {
      // Bound to listeners (a gateway's): sent with those the workload receives, whatever it declares.
      if (bound.some((l) => excluded.has(l))) {
        const kept = bound.filter((l) => !excluded.has(l));
        sent = kept.length === 0 ? undefined : routeWithListeners(entry, kept);
      }
    } else if (egress !== undefined && !egress.admits((entry.resource.spec as Route).hosts)) sent = undefined;
    if (sent !== entry) differs = true;
    if (sent === undefined) continue;
    map.set(entry.name, sent);
    for (const name of clustersOf(sent)) reached.add(name);
  }
  return { map: differs ? map : all, reached, declared: egress !== undefined };
}

/** The clusters a route forwards to, or a TCP listener pipes to. */
function clustersOf(entry: EncodedResource): string[] {
  return referencesOf(entry.resource).flatMap((ref) => (ref.kind === 'Cluster' ? [ref.name] : []));
}

const routedByMap = new WeakMap<KindMap, ReadonlySet<string>>();

/** Every cluster some route (or TCP listener) of the map sends to (computed once per Route or Listener map). */
function routedClusters(entries: KindMap): ReadonlySet<string> {
  let used = routedByMap.get(entries);
  if (used === undefined) {
    const found = new Set<string>();
    for (const entry of entries.values()) for (const name of clustersOf(entry)) found.add(name);
    routedByMap.set(entries, (used = found));
  }
  return used;
}

/** `map` without the names in `out` (the map itself when none is in it). */
function without(map: KindMap, out: ReadonlySet<string>): KindMap {
  if (out.size === 0) return map;
  const kept = new Map<string, EncodedResource>();
  for (const [name, e] of map) if (!out.has(name)) kept.set(name, e);
  return kept;
}

/** The entries of `map` named in `names` (the map itself when that is all of them). */
function only(map: KindMap, names: ReadonlySet<string>): KindMap {
  const kept = new Map<string, EncodedResource>();
  for (const name of names) {
    const e = map.get(name);
    if (e !== undefined) kept.set(name, e);
  }
  return kept.size === map.size ? map : kept;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function sameEntries(a: Overrides, b: Overrides): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
