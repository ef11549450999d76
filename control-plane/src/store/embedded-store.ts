// The embedded store: the ResourceStore contract in one process, for `npm start`, demos and API tests.
// It keeps etcd's semantics (one revision counter, mod revisions, transactions and their limits, watch
// history that can be compacted) so the same contract tests pass against both implementations.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { Kind } from '../../../proto/src/model/kinds.js';
import { EmbeddedElection } from './embedded-election.js';
import { EmbeddedKeyValues } from './embedded-key-values.js';
import { EmbeddedLeaseStore } from './embedded-lease-store.js';
import { resourceKey } from './keys.js';
import { PLAINTEXT_SEALER, type SecretSealer } from '../identity/secret-sealer.js';
import { fromStoredValue, toStoredValue } from './stored-value.js';
import type { ElectionOptions, ListResult, MetaWrite, ResourceStore, StoredResource, WatchEvent, WatchHandle, WatchHandlers, WriteOp } from './store.js';
import {
  checkDistinctTargets, checkLimits, checkMetaKeys, commitBytes, concurrentWriteError, conflictError, DEFAULT_STORE_LIMITS, opTarget,
} from './write-checks.js';

export interface EmbeddedStoreOptions {
  /**
   * As etcd's `--max-txn-ops`: a commit may hold this many ops, the generation key and meta keys
   * included (default DEFAULT_STORE_LIMITS, as deploy/ runs etcd; `--store-max-txn-ops`).
   */
  readonly maxTxnOps?: number;
  /** As etcd's `--max-request-bytes`, measured as the keys and values a commit writes (`--store-max-request-bytes`). */
  readonly maxRequestBytes?: number;
  /** Watch history kept, in revisions; older revisions are compacted as etcd's auto-compaction does. */
  readonly historyRevisions?: number;
  /** Seals Certificate private keys as etcd would hold them (default: stored as they are). */
  readonly sealer?: SecretSealer;
}

interface Entry {
  readonly json: string;
  readonly modRevision: number;
}

interface HistoryItem {
  readonly revision: number;
  readonly events: WatchEvent[];
}

interface Watch {
  readonly handlers: WatchHandlers;
  closed: boolean;
}

export class EmbeddedStore implements ResourceStore {
  private readonly entries = new Map<string, Entry>();
  private readonly history: HistoryItem[] = [];
  private readonly watches = new Set<Watch>();
  private readonly maxTxnOps: number;
  private readonly maxRequestBytes: number;
  private readonly historyRevisions: number;
  private readonly sealer: SecretSealer;
  private currentRevision = 1;
  private generationRevision = 0;
  private compactedRevision = 0;
  private closed = false;
  private leaseStore: EmbeddedLeaseStore | undefined;
  private keyValueStore: EmbeddedKeyValues | undefined;

  constructor(options: EmbeddedStoreOptions = {}) {
    this.maxTxnOps = options.maxTxnOps ?? DEFAULT_STORE_LIMITS.maxTxnOps;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_STORE_LIMITS.maxRequestBytes;
    this.historyRevisions = options.historyRevisions ?? 10_000;
    this.sealer = options.sealer ?? PLAINTEXT_SEALER;
  }

  /** Leased keys (health, registrations): TTL timers in this process. */
  leases(): EmbeddedLeaseStore {
    return (this.leaseStore ??= new EmbeddedLeaseStore());
  }

  /** Keys beside the resources (identity, history, apply sets), in this process. */
  keyValues(): EmbeddedKeyValues {
    return (this.keyValueStore ??= new EmbeddedKeyValues());
  }

  /** One process is the whole control plane: it always leads, fenced by this store's lease store. */
  election(options: ElectionOptions): EmbeddedElection {
    return new EmbeddedElection({ id: options.id, fences: this.leases().fences });
  }

  async list(): Promise<ListResult> {
    this.ensureOpen();
    const keys = [...this.entries.keys()].sort();
    return { resources: keys.map((key) => this.decode(key, this.entries.get(key)!)), revision: this.currentRevision };
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

  async listMeta(prefix: string): Promise<Array<{ readonly key: string; readonly value: string }>> {
    this.ensureOpen();
    return (await this.keyValues().list(prefix)).map(({ key, value }) => ({ key, value }));
  }

  async commit(ops: readonly WriteOp[], validatedAt: number, meta: readonly MetaWrite[] = []): Promise<number> {
    this.ensureOpen();
    checkDistinctTargets(ops);
    checkMetaKeys(meta);
    const values = ops.map((op) => (op.op === 'put' ? toStoredValue(op.resource, this.sealer) : undefined));
    checkLimits(ops, meta, commitBytes(ops, values, meta), { maxTxnOps: this.maxTxnOps, maxRequestBytes: this.maxRequestBytes });
    for (const op of ops) {
      if (op.ifRevision === undefined) continue;
      const target = opTarget(op);
      const current = this.entries.get(target.key)?.modRevision ?? 0;
      if (current !== op.ifRevision) throw conflictError(target, current, op.ifRevision);
    }
    if (this.generationRevision > validatedAt) throw concurrentWriteError(validatedAt, this.generationRevision);

    const revision = this.currentRevision + 1;
    const events: WatchEvent[] = [];
    ops.forEach((op, i) => {
      const { key, kind, name } = opTarget(op);
      if (op.op === 'put') {
        const entry = { json: values[i]!, modRevision: revision };
        this.entries.set(key, entry);
        events.push({ type: 'put', resource: this.decode(key, entry).resource, revision });
      } else if (this.entries.delete(key)) {
        events.push({ type: 'delete', kind, name, revision });
      }
    });
    // Meta keys live with the other keys beside the resources, at this commit's revision as in etcd.
    const keyValues = this.keyValues();
    for (const m of meta) {
      if (m.value === undefined) void keyValues.delete(m.key);
      else keyValues.setAt(m.key, m.value, revision);
    }
    this.currentRevision = revision;
    this.generationRevision = revision;
    // Like etcd, where the generation key's put is an event in the watched range: every commit
    // reaches watches at its revision, even one that changed no resource.
    this.history.push({ revision, events });
    for (const w of this.watches) queueMicrotask(() => this.deliver(w, events, revision));
    if (revision - this.compactedRevision > this.historyRevisions) this.compact(revision - this.historyRevisions);
    return revision;
  }

  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle {
    this.ensureOpen();
    const watch: Watch = { handlers, closed: false };
    // Replay and registration happen in one step, later: a commit made before it is in the history,
    // one made after it is delivered live; none falls between the two.
    queueMicrotask(() => {
      if (watch.closed) return;
      if (this.closed) {
        watch.closed = true;
        handlers.onEnd('unavailable');
        return;
      }
      // etcd: a watch starting at revision S fails when S < the compacted revision.
      if (fromRevision + 1 < this.compactedRevision) {
        watch.closed = true;
        handlers.onEnd('compacted');
        return;
      }
      for (const h of this.history) if (h.revision > fromRevision) this.deliver(watch, h.events, h.revision);
      if (!watch.closed) this.watches.add(watch);
    });
    return {
      close: async () => {
        watch.closed = true;
        this.watches.delete(watch);
      },
    };
  }

  /**
   * Drops watch history before `revision`, as etcd's compaction does: a watch that would start
   * before it must list again; live watches go on.
   */
  compact(revision = this.currentRevision): void {
    if (revision > this.currentRevision) throw new ControlPlaneError(ErrorCode.Internal, `cannot compact revision ${revision}: the store is at ${this.currentRevision}`);
    this.compactedRevision = Math.max(this.compactedRevision, revision);
    while (this.history.length > 0 && this.history[0]!.revision < this.compactedRevision) this.history.shift();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const watches = [...this.watches];
    this.watches.clear();
    for (const w of watches) {
      w.closed = true;
      queueMicrotask(() => w.handlers.onEnd('unavailable'));
    }
  }

  private deliver(watch: Watch, events: WatchEvent[], revision: number): void {
    if (!watch.closed) watch.handlers.onEvents(events, revision);
  }

  private decode(key: string, entry: Entry): StoredResource {
    const decoded = fromStoredValue(key, entry.json, this.sealer);
    if (!decoded.ok) throw new ControlPlaneError(ErrorCode.Internal, `embedded store holds a bad value at ${key}: ${decoded.reason}`);
    return { resource: decoded.resource, revision: entry.modRevision };
  }

  private ensureOpen(): void {
    if (this.closed) throw new ControlPlaneError(ErrorCode.StoreUnavailable, 'the embedded store is closed');
  }
}
