// The store interface: the only way the control plane reads and writes resources.
// Two implementations: etcd (production, `etcd-store.ts`) and embedded (one process, `embedded-store.ts`).
import type { Kind, Resource } from '../model/kinds.js';

/** A resource with the store revision at which it was last modified (etcd's mod_revision). */
export interface StoredResource {
  readonly resource: Resource;
  readonly revision: number;
}

export interface ListResult {
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

export type WatchEvent =
  | { readonly type: 'put'; readonly resource: Resource; readonly revision: number }
  | { readonly type: 'delete'; readonly kind: Kind; readonly name: string; readonly revision: number };

export interface WatchHandlers {
  /** Events of one store revision (a transaction), in order. */
  onEvents(events: WatchEvent[], revision: number): void;
  /**
   * The watch ended and will not resume by itself: `compacted` (the start revision is gone; list again),
   * `unavailable` (the store is unreachable; list again when it is back).
   */
  onEnd(reason: 'compacted' | 'unavailable', err?: unknown): void;
  /** The store answered again after being unreachable, at this revision (it may have gone backwards). */
  onResumed?(revision: number): void;
}

export interface WatchHandle {
  close(): Promise<void>;
}

export interface ResourceStore {
  /** Every resource at one revision. Throws ControlPlaneError SLUICE_STORE_UNAVAILABLE when unreachable. */
  list(): Promise<ListResult>;
  get(kind: Kind, name: string): Promise<StoredResource | undefined>;
  /**
   * Applies every op in one transaction, all or nothing, and returns the new revision.
   * `validatedAt` is the revision the caller checked references against: the commit fails with
   * SLUICE_CONCURRENT_WRITE when any resource changed after it (the caller validates again).
   * A failed `ifRevision` fails with SLUICE_CONFLICT naming the resource.
   */
  commit(ops: readonly WriteOp[], validatedAt: number): Promise<number>;
  /** Streams every change after `fromRevision` (exclusive). */
  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle;
  /** The current store revision. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
