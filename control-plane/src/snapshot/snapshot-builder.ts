// Builds immutable snapshots from the resource cache's updates: debounced so a burst of writes becomes
// one snapshot, and incremental so each resource version is encoded once, when it changes.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { formatFieldErrors } from '../../../proto/src/model/field-error.js';
import { KINDS, type Kind, type Resource } from '../../../proto/src/model/kinds.js';
import type { Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Endpoints } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { CacheUpdate, ResourceCache } from '../store/resource-cache.js';
import { effectiveEndpoints, type EndpointOverlay } from './effective-endpoints.js';
import { encodeResource, type EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import { Snapshot, type KindMap } from './snapshot.js';

export interface SnapshotBuilderOptions {
  /** Quiet time after the last change before a snapshot is built. Default 50. */
  readonly debounceMs?: number;
  /** Longest a change waits while changes keep coming. Default 20 × debounceMs (1 s). */
  readonly maxDelayMs?: number;
  readonly log?: Logger;
  /**
   * Health and registrations from etcd: the Endpoints of clusters it names are rebuilt
   * (effective-endpoints.ts) when it, the stored Endpoints or the Cluster changes.
   */
  readonly overlay?: EndpointOverlay;
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
    const overlay = this.options.overlay;
    if (overlay !== undefined) for (const name of overlay.clusters()) this.pending.get('Endpoints')!.add(name);
    this.pendingRevision = this.cache.revision;
    this.build();
    const offCache = this.cache.onUpdate((u) => this.onCacheUpdate(u));
    const offOverlay = overlay?.onChange((clusters) => this.onOverlayChange(clusters));
    this.unsubscribe = () => {
      offCache();
      offOverlay?.();
    };
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
      this.markPending(key.kind, key.name);
      // A cluster's inline endpoints, or its existence, shape its effective Endpoints.
      if (key.kind === 'Cluster' && this.options.overlay !== undefined) this.markPending('Endpoints', key.name);
    }
    this.pendingRevision = Math.max(this.pendingRevision, update.revision);
    // A relist can move the revision backwards (a restore): the cache is the truth then.
    if (update.revision < this.snapshot.revision) this.pendingRevision = update.revision;
    this.schedule();
  }

  private onOverlayChange(clusters: ReadonlySet<string>): void {
    for (const name of clusters) this.markPending('Endpoints', name);
    this.pendingRevision = Math.max(this.pendingRevision, this.cache.revision);
    this.schedule();
  }

  private markPending(kind: Kind, name: string): void {
    let names = this.pending.get(kind);
    if (names === undefined) this.pending.set(kind, (names = new Set()));
    names.add(name);
  }

  /** What to send for one resource: the cache's, or for Endpoints with an overlay, the effective one. */
  private resolve(kind: Kind, name: string): Resource | undefined {
    const stored = this.cache.get(kind, name)?.resource;
    const overlay = this.options.overlay;
    if (kind !== 'Endpoints' || overlay === undefined || !overlay.clusters().has(name)) return stored;
    const cluster = this.cache.get('Cluster', name)?.resource;
    const spec = effectiveEndpoints(name, stored?.spec as Endpoints | undefined, cluster?.spec as Cluster | undefined, overlay);
    return spec === undefined ? undefined : { kind: 'Endpoints', spec };
  }

  private schedule(): void {
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
        const resource = this.resolve(kind, name);
        const old = next.get(name);
        if (resource === undefined) {
          if (next.delete(name)) kindChanged.add(name);
          continue;
        }
        if (old !== undefined && old.resource === resource) continue;
        const entry = encodeResource(resource);
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
