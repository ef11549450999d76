// Validates a batch of writes against the current resources: the rule that nothing is stored which
// references something missing, and nothing is deleted while something still references it.
import { FieldErrors, type FieldError } from './field-error.js';
import { resourcePath, type Kind, type Resource } from './kinds.js';
import { checkReferences, referrersOf, referringResources } from './references.js';
import type { Kind as K, SpecOf } from './kinds.js';
import type { ResourceView } from './resource-set.js';

export interface ResourceKey {
  readonly kind: Kind;
  readonly name: string;
}

export interface ChangeSet {
  readonly puts: readonly Resource[];
  readonly deletes: readonly ResourceKey[];
}

export interface ChangeCheck {
  /** The resources as they would be after the change. */
  readonly after: ResourceView;
  /** Reference errors of the puts (status 400). */
  readonly invalid: FieldError[];
  /** Deletes that something still references (status 409), each naming the referrer. */
  readonly referenced: FieldError[];
}

export function checkChangeSet(current: ResourceView, change: ChangeSet): ChangeCheck {
  const after = new OverlayView(current, change);

  const invalid = new FieldErrors();
  for (const p of change.puts) checkReferences(p, after, invalid);
  // What a certificate must hold depends on how others use it (serving needs a chain, verifying a
  // CA bundle), so a changed certificate re-checks its users. Other kinds carry no such demands,
  // which keeps this scan off the path of route writes.
  const putKeys = new Set(change.puts.map((p) => `${p.kind}/${p.spec.name}`));
  for (const p of change.puts) {
    if (p.kind !== 'Certificate') continue;
    for (const user of referringResources(p.kind, p.spec.name, after)) {
      if (!putKeys.has(`${user.kind}/${user.spec.name}`)) checkReferences(user, after, invalid);
    }
  }

  const referenced = new FieldErrors();
  for (const d of change.deletes) {
    if (after.has(d.kind, d.name)) continue;
    for (const ref of referrersOf(d.kind, d.name, after)) {
      referenced.add(resourcePath(d.kind, d.name), `still referenced by ${ref.path}`);
    }
  }
  return { after, invalid: invalid.list, referenced: referenced.list };
}

/** `base` with a change set applied, without copying `base` (it may hold tens of thousands of routes). */
class OverlayView implements ResourceView {
  private readonly puts = new Map<string, Resource>();
  private readonly deleted = new Set<string>();

  constructor(private readonly base: ResourceView, change: ChangeSet) {
    for (const d of change.deletes) this.deleted.add(`${d.kind}/${d.name}`);
    for (const p of change.puts) {
      this.puts.set(`${p.kind}/${p.spec.name}`, p);
      this.deleted.delete(`${p.kind}/${p.spec.name}`);
    }
  }

  get<T extends K>(kind: T, name: string): SpecOf[T] | undefined {
    const key = `${kind}/${name}`;
    const put = this.puts.get(key);
    if (put !== undefined) return put.spec as SpecOf[T];
    return this.deleted.has(key) ? undefined : this.base.get(kind, name);
  }

  has(kind: K, name: string): boolean {
    return this.get(kind, name) !== undefined;
  }

  list<T extends K>(kind: T): SpecOf[T][] {
    const out: SpecOf[T][] = [];
    for (const spec of this.base.list(kind)) {
      const key = `${kind}/${spec.name}`;
      if (!this.puts.has(key) && !this.deleted.has(key)) out.push(spec);
    }
    for (const p of this.puts.values()) if (p.kind === kind) out.push(p.spec as SpecOf[T]);
    return out;
  }

  *all(): Iterable<Resource> {
    for (const r of this.base.all()) {
      const key = `${r.kind}/${r.spec.name}`;
      if (!this.puts.has(key) && !this.deleted.has(key)) yield r;
    }
    yield* this.puts.values();
  }
}
