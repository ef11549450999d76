// The KeyValueStore in one process (the embedded store, and stores without one of their own): a map
// with etcd's create-if-absent and compare-and-swap semantics.
import type { KeyValueStore, StoredValue } from './key-value-store.js';

export class EmbeddedKeyValues implements KeyValueStore {
  private readonly entries = new Map<string, StoredValue>();
  private revision = 0;

  async get(key: string): Promise<StoredValue | undefined> {
    return this.entries.get(key);
  }

  async createIfAbsent(key: string, value: string): Promise<StoredValue & { readonly created: boolean }> {
    const existing = this.entries.get(key);
    if (existing !== undefined) return { ...existing, created: false };
    const stored = { value, revision: ++this.revision };
    this.entries.set(key, stored);
    return { ...stored, created: true };
  }

  async put(key: string, value: string, ifRevision?: number): Promise<boolean> {
    if (ifRevision !== undefined && (this.entries.get(key)?.revision ?? 0) !== ifRevision) return false;
    this.entries.set(key, { value, revision: ++this.revision });
    return true;
  }

  /**
   * Writes `key` at the revision of the embedded store's commit that carries it (ResourceStore.commit's
   * `meta`), as etcd gives such a key its transaction's revision.
   */
  setAt(key: string, value: string, revision: number): void {
    this.revision = Math.max(this.revision, revision);
    this.entries.set(key, { value, revision });
  }

  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }

  async list(prefix: string): Promise<Array<{ readonly key: string } & StoredValue>> {
    return [...this.entries].filter(([key]) => key.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, v]) => ({ key, ...v }));
  }
}
