// What one proxy may receive of a snapshot: the view of its workload (scope-view.ts says what that
// holds). Streams of the same workload share one view per snapshot, so the scoping is computed once
// per workload and the resources are the snapshot's own encodings (or variants encoded once and shared,
// scoped-encodings.ts): proxies with the same view cost the same encodings, not one set each.
import type { Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { Kind } from '../../../proto/src/model/kinds.js';
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { KindMap, Snapshot } from '../snapshot/snapshot.js';
import { ScopeView } from './scope-view.js';

/** The views computed for each snapshot, by workload. */
const views = new WeakMap<Snapshot, Map<string, ScopeView>>();

/** The view of `snapshot` for the workload of `node`, computed once for every stream of it. */
export function viewFor(snapshot: Snapshot, node: Pick<Node, 'service' | 'namespace'>, prev?: ScopeView): ScopeView {
  let byWorkload = views.get(snapshot);
  if (byWorkload === undefined) views.set(snapshot, (byWorkload = new Map()));
  const key = `${node.namespace}\n${node.service}`;
  let view = byWorkload.get(key);
  if (view === undefined) byWorkload.set(key, (view = ScopeView.build(snapshot, node, prev)));
  return view;
}

export class ProxyScope {
  private view: ScopeView | undefined;

  constructor(private readonly node: Node) {}

  /**
   * Moves to `snapshot`. Returns, by kind, the names whose variant for this proxy may have changed
   * without the resource itself changing (a listener's selector picks it now, a route is declared, a
   * cluster is reached, a key became needed).
   */
  update(snapshot: Snapshot): Map<Kind, Set<string>> {
    const prev = this.view;
    this.view = viewFor(snapshot, this.node, prev);
    return prev === undefined ? new Map() : this.view.movedSince(prev);
  }

  /** This proxy's variant of a resource, or undefined when it does not receive it. */
  entry(kind: Kind, name: string): EncodedResource | undefined {
    return this.view!.entry(kind, name);
  }

  /** The shared map this proxy's resources of `kind` start from. */
  base(kind: Kind): KindMap {
    return this.view!.base(kind);
  }

  /** Where this proxy differs from base(kind): its variant, or null for "not sent". */
  overrides(kind: Kind): ReadonlyMap<string, EncodedResource | null> {
    return this.view!.overrides(kind);
  }

  /** Whether this proxy receives the private key of a certificate. */
  receivesKey(name: string): boolean {
    return this.view!.keyed.has(name);
  }
}
