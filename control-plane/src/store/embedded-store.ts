// The embedded store: the ResourceStore contract in one process, for `npm start`, demos and API tests.
// It keeps etcd's semantics (one revision counter, mod revisions, transactions, watch history that
// can be compacted) so the same contract tests pass against both implementations.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { Kind, Resource } from '../model/kinds.js';
import { resourcePath } from '../model/kinds.js';
import { specFromJson, specToJson } from '../model/resource-json.js';
import { parseResourceKey, resourceKey } from './keys.js';
import type { ListResult, ResourceStore, StoredResource, WatchEvent, WatchHandle, WatchHandlers, WriteOp } from './store.js';

interface Entry {
  readonly json: string;
  readonly modRevision: number;
}

interface HistoryItem {
  readonly revision: number;
  readonly events: WatchEvent[];
}

export class EmbeddedStore implements ResourceStore {
  private readonly entries = new Map<string, Entry>();
  private readonly history: HistoryItem[] = [];
  private readonly watchers = new Set<WatchHandlers>();
  private currentRevision = 1;
  private generationRevision = 0;
  private compactedRevision = 0;
  private closed = false;

  async list(): Promise<ListResult> {
    this.ensureOpen();
    const resources: StoredResource[] = [];
    for (const [key, entry] of this.entries) resources.push(this.decode(key, entry));
    return { resources, revision: this.currentRevision };
  }

  async get(kind: Kind, name: string): Promise<StoredResource | undefined> {
    this.ensureOpen();
    const key = resourceKey(kind, name);
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : this.decode(key, entry);
  }

  async revision(): Promise<number> {
    this.ensureOpen();
    return this.currentRevision;
  }

  async commit(ops: readonly WriteOp[], validatedAt: number): Promise<number> {
    this.ensureOpen();
    if (this.generationRevision > validatedAt) {
      throw new ControlPlaneError(ErrorCode.ConcurrentWrite, `resources changed after revision ${validatedAt}; validate again`);
    }
    for (const op of ops) {
      if (op.ifRevision === undefined) continue;
      const kind = op.op === 'put' ? op.resource.kind : op.kind;
      const name = op.op === 'put' ? op.resource.spec.name : op.name;
      const current = this.entries.get(resourceKey(kind, name))?.modRevision ?? 0;
      if (current !== op.ifRevision) {
        throw new ControlPlaneError(ErrorCode.Conflict, `${resourcePath(kind, name)} is at revision ${current}, not ${op.ifRevision}`, {
          errors: [{ path: resourcePath(kind, name), message: `revision is ${current}, If-Match said ${op.ifRevision}` }],
        });
      }
    }
    const revision = this.currentRevision + 1;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.op === 'put') {
        this.entries.set(resourceKey(op.resource.kind, op.resource.spec.name), { json: JSON.stringify(specToJson(op.resource)), modRevision: revision });
        events.push({ type: 'put', resource: op.resource, revision });
      } else if (this.entries.delete(resourceKey(op.kind, op.name))) {
        events.push({ type: 'delete', kind: op.kind, name: op.name, revision });
      }
    }
    this.currentRevision = revision;
    this.generationRevision = revision;
    this.history.push({ revision, events });
    for (const w of this.watchers) queueMicrotask(() => w.onEvents(events, revision));
    return revision;
  }

  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle {
    this.ensureOpen();
    const replay = this.history.filter((h) => h.revision > fromRevision);
    const compacted = fromRevision < this.compactedRevision;
    queueMicrotask(() => {
      if (compacted) {
        handlers.onEnd('compacted');
        return;
      }
      for (const h of replay) handlers.onEvents(h.events, h.revision);
      this.watchers.add(handlers);
    });
    return {
      close: async () => {
        this.watchers.delete(handlers);
      },
    };
  }

  /** Drops watch history up to `revision`, as etcd's compaction does: older watches must list again. */
  compact(revision = this.currentRevision): void {
    this.compactedRevision = revision;
    // As with etcd, live watches go on; only a watch that starts before this revision fails.
    while (this.history.length > 0 && this.history[0]!.revision <= revision) this.history.shift();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.onEnd('unavailable');
    this.watchers.clear();
  }

  private decode(key: string, entry: Entry): StoredResource {
    const parsed = parseResourceKey(key)!;
    const resource: Resource = specFromJson(parsed.kind, JSON.parse(entry.json));
    return { resource, revision: entry.modRevision };
  }

  private ensureOpen(): void {
    if (this.closed) throw new ControlPlaneError(ErrorCode.StoreUnavailable, 'the embedded store is closed');
  }
}
