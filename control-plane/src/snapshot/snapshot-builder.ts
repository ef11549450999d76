// Builds immutable snapshots from the resource cache's updates: debounced so a burst of writes becomes
// one snapshot, and incremental so each resource version is encoded once, when it changes.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { formatFieldErrors } from '../model/field-error.js';
import { KINDS, type Kind } from '../model/kinds.js';
import type { CacheUpdate, ResourceCache } from '../store/resource-cache.js';
import { encodeResource, type EncodedResource } from './encoded-resource.js';
import { Snapshot, type KindMap } from './snapshot.js';

export interface SnapshotBuilderOptions {
  /** Quiet time after the last change before a snapshot is built. Default 50. */
  readonly debounceMs?: number;
  /** Longest a change waits while changes keep coming. Default 20 × debounceMs (1 s). */
  readonly maxDelayMs?: number;
  readonly log?: Logger;
}

export class SnapshotBuilder {
  private snapshot = Snapshot.empty();
  private readonly pending = new Map<Kind, Set<string>>();
  private pendingRevision = 0;
  private firstPendingAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly emitter = new EventEmitter();
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly cache: ResourceCache, private readonly options: SnapshotBuilderOptions = {}) {
    this.debounceMs = options.debounceMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? this.debounceMs * 20;
    this.emitter.setMaxListeners(0);
  }

  /** Builds the first snapshot from what the cache holds (start the cache first), then follows it. */
  start(): Snapshot {
    for (const kind of KINDS) this.pending.set(kind, new Set(this.cache.list(kind).map((e) => e.resource.spec.name)));
    this.pendingRevision = this.cache.revision;
    this.build();
    this.unsubscribe = this.cache.onUpdate((u) => this.onCacheUpdate(u));
    return this.snapshot;
  }

  get current(): Snapshot {
    return this.snapshot;
  }

  /** Called with every new snapshot; returns the unsubscribe function. */
  onSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    this.emitter.on('snapshot', listener);
    return () => this.emitter.off('snapshot', listener);
  }

  close(): void {
    clearTimeout(this.timer);
    this.unsubscribe?.();
  }

  private onCacheUpdate(update: CacheUpdate): void {
    for (const key of update.changed) {
      let names = this.pending.get(key.kind);
      if (names === undefined) this.pending.set(key.kind, (names = new Set()));
      names.add(key.name);
    }
    this.pendingRevision = Math.max(this.pendingRevision, update.revision);
    // A relist can move the revision backwards (a restore): the cache is the truth then.
    if (update.revision < this.snapshot.revision) this.pendingRevision = update.revision;
    const now = Date.now();
    if (this.timer === undefined) this.firstPendingAt = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstPendingAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.build();
    }, wait);
  }

  private build(): void {
    const prev = this.snapshot;
    const byKind = new Map<Kind, KindMap>();
    const changed = new Map<Kind, Set<string>>();
    let encoded = 0;
    for (const kind of KINDS) {
      const names = this.pending.get(kind);
      if (names === undefined || names.size === 0) {
        byKind.set(kind, prev.kind(kind));
        continue;
      }
      const next = new Map<string, EncodedResource>(prev.kind(kind));
      const kindChanged = new Set<string>();
      for (const name of names) {
        const stored = this.cache.get(kind, name);
        const old = next.get(name);
        if (stored === undefined) {
          if (next.delete(name)) kindChanged.add(name);
          continue;
        }
        if (old !== undefined && old.resource === stored.resource) continue;
        const entry = encodeResource(stored.resource);
        encoded++;
        // Rewritten with equal content (a relist, an idempotent apply): nothing to send.
        if (old !== undefined && old.version === entry.version) continue;
        next.set(name, entry);
        kindChanged.add(name);
      }
      byKind.set(kind, kindChanged.size > 0 ? next : prev.kind(kind));
      if (kindChanged.size > 0) changed.set(kind, kindChanged);
    }
    this.pending.clear();
    if (changed.size === 0 && this.pendingRevision === prev.revision && prev.serial > 0) return;
    const snapshot = new Snapshot(this.pendingRevision, prev.serial + 1, byKind, changed);
    const dangling = snapshot.consistent();
    if (dangling.length > 0) {
      // Validated writes never get here; a store written around the API does. Proxies will NACK the
      // dangling resources (they check references too), which /v1/rollout then shows.
      this.options.log?.error({ revision: snapshot.revision, dangling: formatFieldErrors(dangling) }, 'snapshot is not consistent');
    }
    this.options.log?.debug({ revision: snapshot.revision, serial: snapshot.serial, encoded, changed: [...changed].map(([k, s]) => `${k}:${s.size}`) }, 'snapshot built');
    this.snapshot = snapshot;
    this.emitter.emit('snapshot', snapshot);
  }
}
