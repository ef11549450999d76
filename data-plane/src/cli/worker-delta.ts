// What the primary sends a worker for one configuration update: the resources that changed, as
// decoded resources (the IPC channel's structured clone copies them), and the kind/name of those
// removed (or, for a worker that has nothing yet, the whole set). The primary validated the
// configuration before it got here, so the worker applies it without validating again, and without
// decoding anything: a worker loads no protobuf (enums.ts).
import type { ResourceKey } from '../../../proto/src/model/change-set.js';
import { KINDS, type Resource } from '../../../proto/src/model/kinds.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';

export interface WorkerDelta {
  /** `puts` is the whole configuration: forget the previous one (a worker that has none yet). */
  readonly full: boolean;
  readonly puts: readonly Resource[];
  readonly removes: readonly ResourceKey[];
}

/**
 * What turns `base` into `next`. Resources are compared by identity: an update shares every spec it
 * did not change with the set before it (ResourceSet.clone), so a changed spec is a new object. An
 * equal spec in a new object is sent again, which is harmless.
 */
export function deltaBetween(base: ResourceSet | undefined, next: ResourceSet): WorkerDelta {
  if (base === undefined) return { full: true, puts: [...next.all()], removes: [] };
  const puts: Resource[] = [];
  const removes: ResourceKey[] = [];
  for (const kind of KINDS) {
    for (const spec of next.list(kind)) if (base.get(kind, spec.name) !== spec) puts.push({ kind, spec } as Resource);
    for (const spec of base.list(kind)) if (!next.has(kind, spec.name)) removes.push({ kind, name: spec.name });
  }
  return { full: false, puts, removes };
}

/** `base` with `delta` applied, as a new set (`base` is left as it is); a full delta ignores `base`. */
export function applyDelta(base: ResourceSet | undefined, delta: WorkerDelta): ResourceSet {
  if (!delta.full && base === undefined) throw new Error('a configuration change arrived before any configuration');
  const next = delta.full || base === undefined ? new ResourceSet() : base.clone();
  for (const key of delta.removes) next.delete(key.kind, key.name);
  for (const resource of delta.puts) {
    if (!KINDS.includes(resource.kind)) throw new Error(`a configuration change holds a resource of no known kind ("${String(resource.kind)}")`);
    next.put(resource);
  }
  return next;
}
