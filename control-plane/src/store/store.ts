// The store interface: the only way the control plane reads and writes resources.
// Two implementations: etcd (production, `etcd-store.ts`) and embedded (one process, `embedded-store.ts`);
// one contract suite (test/store/store-contract.ts) holds both to the same semantics.
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import type { Logger } from 'pino';
import type { LeaderElection } from './leader-election.js';
import type { KeyValueStore } from './key-value-store.js';
import type { LeaseStore } from './lease-store.js';

/** A resource with the store revision at which it was last modified (etcd's mod_revision). */
export interface StoredResource {
  readonly resource: Resource;
  readonly revision: number;
}

export interface ListResult {
  /** Sorted by key (kind plural, then name), as etcd returns a range. */
  readonly resources: StoredResource[];
  /** The store revision the list reflects; watch from revision + 1 to miss nothing. */
  readonly revision: number;
}

/**
 * One write of a transaction. `ifRevision` is optimistic concurrency: undefined = unconditional,
 * 0 = must not exist yet, n = the resource's current revision must be n.
 */
export type WriteOp =
  | { readonly op: 'put'; readonly resource: Resource; readonly ifRevision?: number }
  | { readonly op: 'delete'; readonly kind: Kind; readonly name: string; readonly ifRevision?: number };

/**
 * A key beside the resources written in the same transaction as a commit (a change's history record, an apply set's record):
 * under `/sluice/meta/`, never the generation key; `value` undefined deletes the key. Not watched
 * as a resource and never sent to proxies.
 */
export interface MetaWrite {
  readonly key: string;
  readonly value?: string;
}

export type WatchEvent =
  | { readonly type: 'put'; readonly resource: Resource; readonly revision: number }
  | { readonly type: 'delete'; readonly kind: Kind; readonly name: string; readonly revision: number };

/**
 * Callbacks of one watch. None of them is called after `WatchHandle.close()` was called, and none
 * is called synchronously from `watch()` itself.
 */
export interface WatchHandlers {
  /**
   * Events of one store revision (a transaction), in order; revisions arrive in increasing order.
   * Every commit arrives, at the revision commit() returned, even one that changed no resource
   * (`events` is then empty), so a caller can wait for the revision of its own commit.
   */
  onEvents(events: WatchEvent[], revision: number): void;
  /**
   * The watch ended and will not resume by itself: `compacted` (the history it needs is gone: the
   * start revision was compacted, or the store came back at a lower revision; list again),
   * `unavailable` (the store was closed).
   */
  onEnd(reason: 'compacted' | 'unavailable', err?: unknown): void;
  /**
   * The store became unreachable. The watch goes on by itself once the store answers again
   * (then `onResumed`); until then nothing is delivered. Optional (added after the first version).
   */
  onInterrupted?(err: unknown): void;
  /**
   * The store answered again after being unreachable, at this revision. When it is lower than the
   * last revision delivered the store was restored: this watch then ends with `compacted`, unless the
   * handler closes it first.
   */
  onResumed?(revision: number): void;
}

export interface WatchHandle {
  close(): Promise<void>;
}

/**
 * Every method throws ControlPlaneError SLUICE_STORE_UNAVAILABLE when the store cannot be reached
 * (within a few seconds, never hanging) or after `close()`, and works again by itself once the
 * store is back.
 */
export interface ResourceStore {
  /** Every resource at one revision (one range read). */
  list(): Promise<ListResult>;
  get(kind: Kind, name: string): Promise<StoredResource | undefined>;
  /**
   * Applies every op in one transaction, all or nothing, and returns the new revision (also the
   * revision of every resource it wrote). Checks, in this order:
   * - the same resource twice in `ops` → SLUICE_VALIDATION;
   * - more ops than the store's limits take in one transaction (`maxTxnOps` counts every resource op,
   *   every `meta` write and the generation key; `maxRequestBytes` the keys and values written), or
   *   etcd refusing it for its own lower limits → SLUICE_PAYLOAD_TOO_LARGE naming the limit and flag;
   * - a failed `ifRevision` → SLUICE_CONFLICT naming the resource (it can never succeed as asked);
   * - `validatedAt` is the revision the caller checked references against: when any transaction
   *   committed after it → SLUICE_CONCURRENT_WRITE (the caller validates again and retries).
   * A delete of a missing resource (without ifRevision) is no error and produces no watch event
   * (its revision still reaches watches, with no events). `meta` keys are written in the same
   * transaction (all or nothing with the ops) and read back with `listMeta`.
   */
  commit(ops: readonly WriteOp[], validatedAt: number, meta?: readonly MetaWrite[]): Promise<number>;
  /**
   * Every meta key under `prefix` (within `/sluice/meta/`) with its value, sorted by key, as the
   * latest commit left them. A caller that validated at revision R and commits at R gets the same
   * values as at R, or its commit fails with SLUICE_CONCURRENT_WRITE: meta keys change only in commits.
   */
  listMeta(prefix: string): Promise<Array<{ readonly key: string; readonly value: string }>>;
  /** Streams every change after `fromRevision` (exclusive); see WatchHandlers. */
  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle;
  /** The current store revision. */
  revision(): Promise<number>;
  /** Ends every open watch with `onEnd('unavailable')` and releases the connection. */
  close(): Promise<void>;
  /**
   * Leased keys beside the resources (health entries, self-registrations). Optional: a
   * store without them gets an in-process EmbeddedLeaseStore.
   */
  leases?(): LeaseStore;
  /**
   * An election among the control planes sharing this store, for work done once (the control plane's
   * own health checks): its fence is the one this store's lease store checks. Optional: a store
   * without it runs no such work.
   */
  election?(options: ElectionOptions): LeaderElection;
  /**
   * Keys beside the resources (the mesh CA, bootstrap-token hashes). Optional: a store without them
   * gets an in-process EmbeddedKeyValues.
   */
  keyValues?(): KeyValueStore;
}

export interface ElectionOptions {
  /** This replica's id, the election key's value while it leads. */
  readonly id: string;
  readonly leaseTtlSeconds: number;
  readonly log?: Logger;
}
