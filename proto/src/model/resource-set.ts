// A set of resources by kind and name: what validation of cross-references runs against.
import { KINDS, type AnySpec, type Kind, type Resource, type SpecOf } from './kinds.js';

/** Read access to resources by kind and name. */
export interface ResourceView {
  get<K extends Kind>(kind: K, name: string): SpecOf[K] | undefined;
  has(kind: Kind, name: string): boolean;
  list<K extends Kind>(kind: K): SpecOf[K][];
  /** Every resource, in make-before-break kind order. */
  all(): Iterable<Resource>;
}

export class ResourceSet implements ResourceView {
  private readonly byKind = new Map<Kind, Map<string, AnySpec>>(KINDS.map((k) => [k, new Map()]));

  static of(resources: Iterable<Resource>): ResourceSet {
    const set = new ResourceSet();
    for (const r of resources) set.put(r);
    return set;
  }

  get<K extends Kind>(kind: K, name: string): SpecOf[K] | undefined {
    return this.map(kind).get(name) as SpecOf[K] | undefined;
  }

  has(kind: Kind, name: string): boolean {
    return this.map(kind).has(name);
  }

  put(resource: Resource): void {
    this.map(resource.kind).set(resource.spec.name, resource.spec);
  }

  delete(kind: Kind, name: string): boolean {
    return this.map(kind).delete(name);
  }

  list<K extends Kind>(kind: K): SpecOf[K][] {
    return [...this.map(kind).values()] as SpecOf[K][];
  }

  /** Every resource, in make-before-break kind order. */
  *all(): Iterable<Resource> {
    for (const kind of KINDS) for (const spec of this.map(kind).values()) yield { kind, spec } as Resource;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byKind.values()) n += m.size;
    return n;
  }

  clone(): ResourceSet {
    return ResourceSet.of(this.all());
  }

  private map(kind: Kind): Map<string, AnySpec> {
    return this.byKind.get(kind)!;
  }
}
