// What one proxy may receive of a snapshot: the Listeners whose selector picks its node (--service,
// --namespace), the private keys of only the certificates it serves on those listeners or presents as
// a cluster's client certificate (every other Certificate arrives without privateKey), and Routes
// naming only the listeners it receives (a route bound to none of them is not sent). Kept as the
// snapshot's shared maps plus this proxy's few differences, so a proxy that sees what most see costs
// nothing per stream; the variants are encoded once and shared (scoped-encodings.ts).
import type { Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { Listener } from '../../../proto/gen/sluice/v1/listener_pb.js';
import type { Route } from '../../../proto/gen/sluice/v1/route_pb.js';
import type { Kind } from '../../../proto/src/model/kinds.js';
import { selectsWorkload } from '../../../proto/src/model/selects-workload.js';
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { KindMap, Snapshot } from '../snapshot/snapshot.js';
import { clientCertificates, hasKey, keylessMap, routeWithListeners } from './scoped-encodings.js';

const NONE: ReadonlyMap<string, EncodedResource | null> = new Map();

export class ProxyScope {
  private snapshot: Snapshot | undefined;
  /** Listeners of the snapshot whose selector does not pick this proxy, each "not sent" (null). */
  private excluded = new Map<string, null>();
  /** Certificates served by the listeners this proxy receives. */
  private served: ReadonlySet<string> = new Set();
  /** Certificates whose key this proxy receives (their full entry). */
  private keyed = new Map<string, EncodedResource | null>();
  /** Routes that differ for this proxy: a variant, or null for "not sent". */
  private routes = new Map<string, EncodedResource | null>();

  constructor(private readonly node: Node) {}

  /**
   * Moves to `snapshot`. Returns, by kind, the names whose variant for this proxy may have changed
   * without the resource itself changing (a listener's selector picks it now, a key became needed).
   */
  update(snapshot: Snapshot): Map<Kind, Set<string>> {
    const prev = this.snapshot;
    this.snapshot = snapshot;
    const moved = new Map<Kind, Set<string>>();
    const mark = (kind: Kind, name: string): void => {
      let names = moved.get(kind);
      if (names === undefined) moved.set(kind, (names = new Set()));
      names.add(name);
    };
    const listeners = snapshot.kind('Listener');
    const listenersChanged = prev?.kind('Listener') !== listeners;
    let excludedChanged = false;
    if (listenersChanged) {
      const excluded = new Map<string, null>();
      const served = new Set<string>();
      for (const [name, e] of listeners) {
        const listener = e.resource.spec as Listener;
        if (!selectsWorkload(listener.selector, this.node)) excluded.set(name, null);
        else for (const c of listener.tls?.certificates ?? []) served.add(c);
      }
      for (const name of symmetricDifference(this.excluded, excluded)) {
        mark('Listener', name);
        excludedChanged = true;
      }
      this.excluded = excluded;
      this.served = served;
    }
    const certificates = snapshot.kind('Certificate');
    if (listenersChanged || prev?.kind('Certificate') !== certificates || prev?.kind('Cluster') !== snapshot.kind('Cluster')) {
      const keyed = new Map<string, EncodedResource | null>();
      for (const names of [this.served, clientCertificates(snapshot.kind('Cluster'))]) {
        for (const name of names) {
          const entry = certificates.get(name);
          if (entry !== undefined && hasKey(entry)) keyed.set(name, entry);
        }
      }
      for (const name of new Set([...this.keyed.keys(), ...keyed.keys()])) if (this.keyed.get(name) !== keyed.get(name)) mark('Certificate', name);
      this.keyed = keyed;
    }
    const routes = snapshot.kind('Route');
    // `changed` says what differs from the snapshot just before: after a gap, every route is looked at.
    if (excludedChanged || prev === undefined || snapshot.serial !== prev.serial + 1) {
      const old = this.routes;
      this.routes = new Map();
      if (this.excluded.size > 0) for (const entry of routes.values()) this.scopeRoute(entry);
      for (const name of new Set([...old.keys(), ...this.routes.keys()])) if (old.get(name) !== this.routes.get(name)) mark('Route', name);
    } else if (this.excluded.size > 0 && prev.kind('Route') !== routes) {
      for (const name of snapshot.changed.get('Route') ?? []) {
        this.routes.delete(name);
        const entry = routes.get(name);
        if (entry !== undefined) this.scopeRoute(entry);
      }
    }
    return moved;
  }

  /** This proxy's variant of a resource, or undefined when it does not receive it. */
  entry(kind: Kind, name: string): EncodedResource | undefined {
    const differs = this.overrides(kind).get(name);
    if (differs !== undefined) return differs ?? undefined;
    return this.base(kind).get(name);
  }

  /** The shared map this proxy's resources of `kind` start from. */
  base(kind: Kind): KindMap {
    const snapshot = this.snapshot!;
    return kind === 'Certificate' ? keylessMap(snapshot.kind('Certificate')) : snapshot.kind(kind);
  }

  /** Where this proxy differs from base(kind): its variant, or null for "not sent". */
  overrides(kind: Kind): ReadonlyMap<string, EncodedResource | null> {
    switch (kind) {
      case 'Certificate':
        return this.keyed;
      case 'Route':
        return this.routes;
      case 'Listener':
        return this.excluded;
      default:
        return NONE;
    }
  }

  /** Whether this proxy receives the private key of a certificate. */
  receivesKey(name: string): boolean {
    return this.keyed.has(name);
  }

  private scopeRoute(entry: EncodedResource): void {
    const bound = (entry.resource.spec as Route).listeners;
    if (bound.length === 0 || !bound.some((l) => this.excluded.has(l))) return;
    const kept = bound.filter((l) => !this.excluded.has(l));
    // Without listeners a route would serve every listener: one bound to none of this proxy's is not sent.
    this.routes.set(entry.name, kept.length === 0 ? null : routeWithListeners(entry, kept));
  }
}

function symmetricDifference(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] {
  return [...[...a.keys()].filter((n) => !b.has(n)), ...[...b.keys()].filter((n) => !a.has(n))];
}
