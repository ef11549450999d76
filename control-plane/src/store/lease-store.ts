// Keys that live only as long as their writer: health entries and self-registrations are
// written under etcd leases, so a dead control-plane replica's or proxy's keys expire by themselves.
// Two implementations: etcd (etcd-lease-store.ts) and embedded (embedded-lease-store.ts, TTL timers).
import type { Fence } from './fence.js';

/** One lease and the keys written under it. */
export interface Lease {
  readonly ttlSeconds: number;
  /**
   * Writes `key = value` attached to this lease (a key written earlier under another lease moves to
   * this one). With a fence, the write is one transaction that commits only while the fence key
   * exists with the fence's create_revision; resolves false when that compare failed (the writer
   * lost leadership), true when written. Throws SLUICE_STORE_UNAVAILABLE when the store cannot be reached.
   */
  put(key: string, value: string, fence?: Fence): Promise<boolean>;
  /** Deletes `key` (fenced like `put`); resolves false only when the fence failed. */
  delete(key: string, fence?: Fence): Promise<boolean>;
  /** Stops keeping the lease alive: its keys are deleted by the store once the TTL runs out. */
  release(): void;
  /** Ends the lease now: its keys are deleted at once. */
  revoke(): Promise<void>;
  /**
   * Called when the store says the lease is gone (it expired while the store was unreachable): its
   * keys are gone, a new lease is already being granted, and the owner should write its keys again.
   */
  onLost(listener: () => void): void;
}

export interface PrefixWatchHandlers {
  /** Every key under the prefix, read at one revision: at the start and again after any interruption. */
  onReset(entries: ReadonlyMap<string, string>): void;
  /** One key changed; `value` undefined: deleted (expired with its lease, or deleted). */
  onChange(key: string, value: string | undefined): void;
}

export interface LeaseStore {
  /** A new lease, granted in the background; `put` waits for the grant. */
  grant(ttlSeconds: number): Lease;
  /** Lists the prefix and follows it until `close()` of the handle. */
  watchPrefix(prefix: string, handlers: PrefixWatchHandlers): { close(): Promise<void> };
}
