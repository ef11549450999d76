// Keys beside the resources that are not configuration: the mesh CA and bootstrap-token hashes under
// IDENTITY_PREFIX. Not watched as resources and never sent to proxies. Two implementations: etcd
// (etcd-key-values.ts) and in-process (embedded-key-values.ts).

/** Everything identity keeps in the store. */
export const IDENTITY_PREFIX = '/sluice/identity/';

export interface StoredValue {
  readonly value: string;
  /** The key's mod revision: pass it to `put` for a compare-and-swap. */
  readonly revision: number;
}

/**
 * Every method throws ControlPlaneError SLUICE_STORE_UNAVAILABLE when the store cannot be reached
 * (within the store's call budget).
 */
export interface KeyValueStore {
  get(key: string): Promise<StoredValue | undefined>;
  /**
   * Writes `key = value` only when the key does not exist, in one transaction, and returns what the
   * key holds afterwards: `created` true and our value, or the value another writer put there first.
   * Replicas starting at the same moment thus agree on one value.
   */
  createIfAbsent(key: string, value: string): Promise<StoredValue & { readonly created: boolean }>;
  /**
   * Writes `key = value`; with `ifRevision`, only when the key's mod revision is still that (0: the key
   * must not exist). Resolves false when that compare failed.
   */
  put(key: string, value: string, ifRevision?: number): Promise<boolean>;
  /** Deletes `key`; resolves false when it did not exist. */
  delete(key: string): Promise<boolean>;
  /** Every key under `prefix`, sorted by key. */
  list(prefix: string): Promise<Array<{ readonly key: string } & StoredValue>>;
}
