// The versions one proxy holds of one kind. Once a proxy is in sync, they are exactly a snapshot's,
// so they are kept as a reference to the snapshot's shared, immutable map plus the few differences:
// a thousand connected proxies then cost one map, not a thousand (the budget is < 100 KB per proxy).
// Where a proxy's scope differs from the shared map (proxy-scope.ts), the differences start the overlay.
import type { EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { KindMap } from '../snapshot/snapshot.js';

export class KnownVersions {
  private base: KindMap | undefined;
  /** Differences from `base`: a version, or null for "the proxy does not have it". */
  private readonly overlay = new Map<string, string | null>();

  get(name: string): string | undefined {
    const o = this.overlay.get(name);
    if (o !== undefined) return o ?? undefined;
    return this.base?.get(name)?.version;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, version: string): void {
    if (this.base?.get(name)?.version === version) this.overlay.delete(name);
    else this.overlay.set(name, version);
  }

  delete(name: string): void {
    if (this.base?.has(name) === true) this.overlay.set(name, null);
    else this.overlay.delete(name);
  }

  *names(): Iterable<string> {
    if (this.base !== undefined) for (const n of this.base.keys()) if (!this.overlay.has(n)) yield n;
    for (const [n, v] of this.overlay) if (v !== null) yield n;
  }

  get empty(): boolean {
    for (const _ of this.names()) return false;
    return true;
  }

  /** The proxy now holds exactly `base` (a shared map of this kind) with `differences` (null: not held). */
  rebase(base: KindMap, differences: ReadonlyMap<string, EncodedResource | null>): void {
    // Already so (the kinds a change did not touch, for every proxy at every change): nothing to redo.
    if (base === this.base && differences.size === 0 && this.overlay.size === 0) return;
    this.base = base;
    this.overlay.clear();
    for (const [name, entry] of differences) this.overlay.set(name, entry?.version ?? null);
  }
}
