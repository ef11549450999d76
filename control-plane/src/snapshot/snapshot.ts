// An immutable, versioned view of every resource, encoded for the wire: what the discovery server
// sends from (go-control-plane's pkg/cache/v3 Snapshot). Built by SnapshotBuilder; never mutated.
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { KINDS, type Kind, type Resource, type SpecOf } from '../../../proto/src/model/kinds.js';
import { referencesOf } from '../../../proto/src/model/references.js';
import type { ResourceView } from '../../../proto/src/model/resource-set.js';
import { validationCount } from '../../../proto/src/model/validation-count.js';
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';

export type KindMap = ReadonlyMap<string, EncodedResource>;

export class Snapshot implements ResourceView {
  constructor(
    /** The store revision this snapshot reflects. */
    readonly revision: number,
    /** Counts snapshots of one builder: 1, 2, 3... */
    readonly serial: number,
    private readonly byKind: ReadonlyMap<Kind, KindMap>,
    /** Names added, changed or removed since the previous snapshot (serial - 1), by kind. */
    readonly changed: ReadonlyMap<Kind, ReadonlySet<string>>,
  ) {}

  static empty(): Snapshot {
    return new Snapshot(0, 0, new Map(KINDS.map((k) => [k, new Map()])), new Map());
  }

  entry(kind: Kind, name: string): EncodedResource | undefined {
    return this.kind(kind).get(name);
  }

  /** Every resource of one kind, by name. */
  kind(kind: Kind): KindMap {
    return this.byKind.get(kind)!;
  }

  get<K extends Kind>(kind: K, name: string): SpecOf[K] | undefined {
    return this.entry(kind, name)?.resource.spec as SpecOf[K] | undefined;
  }

  has(kind: Kind, name: string): boolean {
    return this.kind(kind).has(name);
  }

  list<K extends Kind>(kind: K): SpecOf[K][] {
    return [...this.kind(kind).values()].map((e) => e.resource.spec as SpecOf[K]);
  }

  *all(): Iterable<Resource> {
    for (const kind of KINDS) for (const e of this.kind(kind).values()) yield e.resource;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byKind.values()) n += m.size;
    return n;
  }

  /**
   * The references that point at nothing, among what changed since the previous snapshot
   * (go-control-plane's Consistent(), kept to the change: the rest was checked when it changed): the
   * resources added or changed, and those that point at one removed. The first snapshot's change is
   * everything. Empty for snapshots built from validated writes; anything else means the store was
   * written around the API.
   */
  consistent(): FieldError[] {
    const dangling: FieldError[] = [];
    const removed = new Set<string>();
    const check = (resource: Resource, only?: ReadonlySet<string>): void => {
      validationCount.references++;
      for (const ref of referencesOf(resource)) {
        if (only !== undefined && !only.has(`${ref.kind}/${ref.name}`)) continue;
        if (!this.has(ref.kind, ref.name)) dangling.push({ path: ref.path, message: `unknown ${ref.kind.toLowerCase()} "${ref.name}"` });
      }
    };
    for (const [kind, names] of this.changed) {
      for (const name of names) {
        const entry = this.entry(kind, name);
        if (entry === undefined) removed.add(`${kind}/${name}`);
        else check(entry.resource);
      }
    }
    if (removed.size === 0) return dangling;
    // Nothing indexes who points at what: a removal looks at every resource not checked above.
    for (const resource of this.all()) if (!this.changed.get(resource.kind)?.has(resource.spec.name)) check(resource, removed);
    return dangling;
  }
}
