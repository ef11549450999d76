// The control plane's view of the store: list at revision R, watch from R + 1, list again when the
// watch is compacted away or the store's revision goes backwards (a restore). Reads are served from
// here, so they keep working, from the last watched state, while etcd is down.
import { EventEmitter } from 'node:events';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { Logger } from 'pino';
import type { ResourceKey } from '../../../proto/src/model/change-set.js';
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import { ResourceSet, type ResourceView } from '../../../proto/src/model/resource-set.js';
import { resourceContent } from './stored-value.js';
import type { ResourceStore, StoredResource, WatchEvent, WatchHandle } from './store.js';

export interface CacheUpdate {
  /** The store revision the cache now reflects. */
  readonly revision: number;
  /** Resources that were added, changed or removed. */
  readonly changed: readonly ResourceKey[];
}

/**
 * Errors that waiting does not cure: etcd refusing this replica's credentials, a private key no
 * configured encryption key opens. Before the first list they fail start() (the process exits and
 * says why); later the cache keeps serving its last state and lists again, logging them.
 */
const FATAL_AT_START: ReadonlySet<string> = new Set([ErrorCode.StoreRefused, ErrorCode.SecretUnreadable]);

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

export class ResourceCache {
  private readonly entries = new Map<string, StoredResource>();
  private readonly set = new ResourceSet();
  private currentRevision = 0;
  private watchHandle: WatchHandle | undefined;
  /** Bumped for every watch, so callbacks of a replaced watch are recognized and dropped. */
  private watchId = 0;
  private watching = false;
  /** What interrupted the watch or failed the last list, while the cache is not live. */
  private lastFailure: unknown;
  private closed = false;
  private listedOnce = false;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private retryMs = RETRY_MIN_MS;
  private wakeRetry: (() => void) | undefined;
  private readonly emitter = new EventEmitter();

  constructor(private readonly store: ResourceStore, private readonly log?: Logger) {
    this.emitter.setMaxListeners(0);
  }

  /**
   * Lists once (retrying until the store answers, or until `close()`) and starts watching. Rejects
   * with the store's error when it is one of FATAL_AT_START.
   */
  async start(): Promise<void> {
    await this.resync();
  }

  /** The revision of the last change seen; 0 before the first list. */
  get revision(): number {
    return this.currentRevision;
  }

  /**
   * True while the watch is live; false before the first list, while the store is unreachable and
   * while listing again (reads are then served from the last state seen).
   */
  get live(): boolean {
    return this.watching;
  }

  /** While not live: the store's error that interrupted the watch or failed the last list, if any. */
  get lastStoreError(): unknown {
    return this.watching ? undefined : this.lastFailure;
  }

  /** The current resources, live: they change with the next update (copy with `snapshot()`). */
  get resources(): ResourceView {
    return this.set;
  }

  /** A copy of the current resources that later updates leave alone. */
  snapshot(): ResourceSet {
    return this.set.clone();
  }

  get(kind: Kind, name: string): StoredResource | undefined {
    return this.entries.get(keyOf(kind, name));
  }

  list(kind: Kind): StoredResource[] {
    return [...this.entries.values()].filter((e) => e.resource.kind === kind).sort((a, b) => (a.resource.spec.name < b.resource.spec.name ? -1 : 1));
  }

  /**
   * Resolves true once the watch is live (at once when it is), false after `timeoutMs` or when the
   * cache is closed meanwhile. A watch whose etcd member died is live again within moments on another.
   */
  async waitUntilLive(timeoutMs: number): Promise<boolean> {
    if (this.watching) return true;
    if (this.closed) return false;
    return await new Promise((resolve) => {
      const done = (live: boolean): void => {
        clearTimeout(timer);
        this.emitter.off('live', onLive);
        resolve(live);
      };
      const onLive = (): void => done(true);
      const timer = setTimeout(() => done(this.watching), timeoutMs);
      this.emitter.on('live', onLive);
    });
  }

  /** Calls `listener` after every update; returns the unsubscribe function. */
  onUpdate(listener: (update: CacheUpdate) => void): () => void {
    this.emitter.on('update', listener);
    return () => this.emitter.off('update', listener);
  }

  /** Resolves true once the cache reflects `revision` (read-your-writes), false on timeout. */
  async waitForRevision(revision: number, timeoutMs = 5000): Promise<boolean> {
    if (this.currentRevision >= revision) return true;
    return await new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onUpdate((u) => {
        if (u.revision >= revision) {
          clearTimeout(timer);
          off();
          resolve(true);
        }
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watching = false;
    this.wakeRetry?.();
    const handle = this.watchHandle;
    this.watchHandle = undefined;
    await handle?.close();
    await this.resyncing;
  }

  /** Lists and watches again; one resync runs at a time, and a request during one runs it again after. */
  private resync(): Promise<void> {
    if (this.resyncing !== undefined) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      try {
        do {
          this.resyncAgain = false;
          await this.listAndWatchUntilDone();
        } while (this.resyncAgain && !this.closed);
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  private async listAndWatchUntilDone(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      try {
        await this.listAndWatch();
        this.retryMs = RETRY_MIN_MS;
        return;
      } catch (err) {
        this.lastFailure = err;
        const fatal = err instanceof ControlPlaneError && FATAL_AT_START.has(err.code);
        if (fatal && !this.listedOnce) throw err;
        if (fatal) this.log?.error({ err }, 'store list failed; serving the last known state and retrying');
        else this.log?.warn({ err }, 'store list failed; serving the last known state and retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.retryMs);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeRetry = undefined;
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  private async listAndWatch(): Promise<void> {
    const old = this.watchHandle;
    this.watchHandle = undefined;
    this.watching = false;
    const id = ++this.watchId;
    await old?.close();
    const { resources, revision } = await this.store.list();
    if (this.closed || id !== this.watchId) return;
    this.listedOnce = true;
    this.replaceAll(resources, revision);
    this.watchHandle = this.store.watch(revision, {
      onEvents: (events, rev) => {
        if (id === this.watchId) this.apply(events, rev);
      },
      onEnd: (reason, err) => {
        if (id !== this.watchId) return;
        this.watching = false;
        this.lastFailure = err;
        this.log?.warn({ reason, err }, 'store watch ended; listing again');
        void this.resync();
      },
      onInterrupted: (err) => {
        if (id !== this.watchId) return;
        this.watching = false;
        this.lastFailure = err;
      },
      onResumed: (rev) => {
        if (id !== this.watchId) return;
        if (rev < this.currentRevision) {
          this.log?.warn({ storeRevision: rev, cacheRevision: this.currentRevision }, 'store revision went backwards (restore?); listing again');
          void this.resync();
        } else {
          this.setLive();
        }
      },
    });
    this.setLive();
  }

  private setLive(): void {
    this.watching = true;
    this.lastFailure = undefined;
    this.emitter.emit('live');
  }

  /** A list is the truth, even when its revision is below ours (the store was restored). */
  private replaceAll(resources: readonly StoredResource[], revision: number): void {
    const next = new Map<string, StoredResource>();
    for (const r of resources) next.set(keyOf(r.resource.kind, r.resource.spec.name), r);
    const changed: ResourceKey[] = [];
    for (const [key, entry] of next) {
      const before = this.entries.get(key);
      // After a restore the same revision number can hold other content: compare both.
      if (before === undefined || before.revision !== entry.revision || resourceContent(before.resource) !== resourceContent(entry.resource)) {
        changed.push(keyParts(entry.resource));
      }
    }
    for (const [key, entry] of this.entries) if (!next.has(key)) changed.push(keyParts(entry.resource));
    for (const entry of this.entries.values()) this.set.delete(entry.resource.kind, entry.resource.spec.name);
    this.entries.clear();
    for (const [k, v] of next) {
      this.entries.set(k, v);
      this.set.put(v.resource);
    }
    this.currentRevision = revision;
    this.publish(changed);
  }

  private apply(events: readonly WatchEvent[], revision: number): void {
    if (revision <= this.currentRevision) return; // already in the list this watch started from
    const changed: ResourceKey[] = [];
    for (const e of events) {
      if (e.type === 'put') {
        this.entries.set(keyOf(e.resource.kind, e.resource.spec.name), { resource: e.resource, revision: e.revision });
        this.set.put(e.resource);
        changed.push(keyParts(e.resource));
      } else {
        this.entries.delete(keyOf(e.kind, e.name));
        this.set.delete(e.kind, e.name);
        changed.push({ kind: e.kind, name: e.name });
      }
    }
    this.currentRevision = revision;
    this.publish(changed);
  }

  private publish(changed: ResourceKey[]): void {
    this.emitter.emit('update', { revision: this.currentRevision, changed } satisfies CacheUpdate);
  }
}

function keyOf(kind: Kind, name: string): string {
  return `${kind}/${name}`;
}

function keyParts(resource: Resource): ResourceKey {
  return { kind: resource.kind, name: resource.spec.name };
}
