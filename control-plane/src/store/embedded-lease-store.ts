// The LeaseStore in one process (`npm start`, the embedded store): leases are TTL timers that run only
// once released, since the process that holds them is the one keeping them alive.
import type { Fence } from './fence.js';
import type { Lease, LeaseStore, PrefixWatchHandlers } from './lease-store.js';

interface Watcher {
  readonly prefix: string;
  readonly handlers: PrefixWatchHandlers;
}

export class EmbeddedLeaseStore implements LeaseStore {
  private readonly values = new Map<string, { value: string; lease: EmbeddedLease }>();
  private readonly watchers = new Set<Watcher>();
  /** Fence keys with their create revision: embedded leader election (tests) sets them. */
  readonly fences = new Map<string, number>();

  grant(ttlSeconds: number): Lease {
    return new EmbeddedLease(this, ttlSeconds);
  }

  watchPrefix(prefix: string, handlers: PrefixWatchHandlers): { close(): Promise<void> } {
    const w: Watcher = { prefix, handlers };
    this.watchers.add(w);
    const entries = new Map([...this.values].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k, v.value]));
    // Never synchronously from watchPrefix, as with etcd.
    setImmediate(() => {
      if (this.watchers.has(w)) handlers.onReset(entries);
    });
    return { close: async () => void this.watchers.delete(w) };
  }

  /** @internal used by EmbeddedLease */
  write(key: string, value: string | undefined, lease: EmbeddedLease, fence: Fence | undefined): boolean {
    if (fence !== undefined && this.fences.get(fence.key) !== fence.createRevision) return false;
    if (value === undefined) {
      if (!this.values.delete(key)) return true;
    } else {
      this.values.set(key, { value, lease });
    }
    this.notify(key, value);
    return true;
  }

  /** @internal the lease ended: every key still attached to it goes. */
  expire(lease: EmbeddedLease): void {
    for (const [key, v] of [...this.values]) {
      if (v.lease !== lease) continue;
      this.values.delete(key);
      this.notify(key, undefined);
    }
  }

  private notify(key: string, value: string | undefined): void {
    for (const w of this.watchers) if (key.startsWith(w.prefix)) w.handlers.onChange(key, value);
  }
}

class EmbeddedLease implements Lease {
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly store: EmbeddedLeaseStore, readonly ttlSeconds: number) {}

  async put(key: string, value: string, fence?: Fence): Promise<boolean> {
    return this.store.write(key, value, this, fence);
  }

  async delete(key: string, fence?: Fence): Promise<boolean> {
    return this.store.write(key, undefined, this, fence);
  }

  release(): void {
    if (this.ended || this.timer !== undefined) return;
    this.timer = setTimeout(() => this.end(), this.ttlSeconds * 1000);
    this.timer.unref();
  }

  async revoke(): Promise<void> {
    clearTimeout(this.timer);
    this.end();
  }

  onLost(): void {
    // An embedded lease is never lost: the process holding it is the store.
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.store.expire(this);
  }
}
