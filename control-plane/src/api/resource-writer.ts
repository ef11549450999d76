// The one write path of the admin API: check a change set against the cache, commit it to the store
// in one transaction (all or nothing), retry when another write got in between, and answer only once
// the cache has seen the commit (read-your-writes).
import { performance } from 'node:perf_hooks';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { checkChangeSet } from '../../../proto/src/model/change-set.js';
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import { resourcePath } from '../../../proto/src/model/kinds.js';
import { specToJson } from '../../../proto/src/model/resource-json.js';
import { describeEtcdError } from '../store/etcd-errors.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { MetaWrite, ResourceStore, WriteOp } from '../store/store.js';
import type { ChangeRecorder, RecordedChange } from '../history/change-recorder.js';
import type { AuditLog, ChangeOrigin } from './audit-log.js';

export interface PutRequest {
  readonly resource: Resource;
  /** If-Match: 0 = create only, n = the current revision must be n. */
  readonly ifRevision?: number;
}

export interface DeleteRequest {
  readonly kind: Kind;
  readonly name: string;
  readonly ifRevision?: number;
  /** A resource that does not exist is reported `notFound` instead of refusing the write with 404 (delete -f). */
  readonly missingOk?: boolean;
  /** Deleted because its apply set no longer holds it: reported `pruned`. */
  readonly pruned?: boolean;
}

export type ChangeAction = 'created' | 'updated' | 'unchanged' | 'deleted' | 'pruned' | 'notFound';

export interface PlannedChange {
  readonly kind: Kind;
  readonly name: string;
  readonly action: ChangeAction;
  /** The stored resource the change replaces or deletes (updated, unchanged, deleted, pruned). */
  readonly before?: Resource;
  /** The resource as it will be stored (created, updated, unchanged). */
  readonly after?: Resource;
}

export interface WriteOutcome {
  /** The store revision after the write (the current one when nothing had to change, or on a dry run). */
  readonly revision: number;
  /** One entry per request (puts, then deletes, then extra deletes), in order: the resource's revision after the write. */
  readonly changes: ReadonlyArray<PlannedChange & { readonly revision: number }>;
}

export interface WriteOptions {
  /** Check and plan only: nothing is committed, the outcome says what the write would do. */
  readonly dryRun?: boolean;
  /**
   * Called at every attempt with the revision the write is checked at: more deletes (an apply set's
   * prune) and meta keys (its record) for the same transaction. Throwing refuses the write.
   */
  readonly extend?: (validatedAt: number) => Promise<{ readonly deletes: readonly DeleteRequest[]; readonly meta: readonly MetaWrite[] }>;
}

export interface ResourceWriterOptions {
  /** Attempts when another write commits between our check and our commit. */
  readonly maxAttempts?: number;
  /**
   * A commit that takes longer answers 503 (default 6000). A safety net: the etcd store answers
   * first, within its own budget (4 s, and one more attempt to learn the outcome of a lost answer).
   */
  readonly commitTimeoutMs?: number;
  /** How long to wait for the cache to show a commit before answering anyway. */
  readonly catchUpTimeoutMs?: number;
  /**
   * How long a write waits for the store's watch to be live again before it is refused (default 2000):
   * when one etcd member dies the watch resumes on another within moments, and a write in between
   * should not fail for it.
   */
  readonly liveWaitMs?: number;
  /**
   * Called after each commit once the cache shows it (`seen`), or when the wait timed out: the time
   * from the store's answer to the watch delivering the change (the watch-lag metric).
   */
  readonly onCommitSeen?: (seconds: number, seen: boolean) => void;
  /** Where each write, committed or refused, is recorded with its origin. */
  readonly audit?: AuditLog;
  /** Records each change in the store, in the change's own transaction (the change history). */
  readonly history?: ChangeRecorder;
}

export class ResourceWriter {
  private readonly maxAttempts: number;
  private readonly commitTimeoutMs: number;
  private readonly catchUpTimeoutMs: number;
  private readonly liveWaitMs: number;
  private readonly onCommitSeen: ((seconds: number, seen: boolean) => void) | undefined;
  private readonly audit: AuditLog | undefined;
  private readonly history: ChangeRecorder | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly store: ResourceStore, private readonly cache: ResourceCache, options: ResourceWriterOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.commitTimeoutMs = options.commitTimeoutMs ?? 6000;
    this.catchUpTimeoutMs = options.catchUpTimeoutMs ?? 5000;
    this.liveWaitMs = options.liveWaitMs ?? 2000;
    this.onCommitSeen = options.onCommitSeen;
    this.audit = options.audit;
    this.history = options.history;
  }

  /**
   * Writes `puts` and `deletes` in one transaction. Throws SLUICE_VALIDATION (a put references
   * something missing), SLUICE_REFERENCED (a delete would leave a dangling reference),
   * SLUICE_CONFLICT (an If-Match revision is stale), SLUICE_STORE_UNAVAILABLE, or
   * SLUICE_CONCURRENT_WRITE when other writes kept winning for every attempt. `origin` says who asked
   * and how; the outcome, or the refusal, is recorded in the audit log with it.
   */
  async write(puts: readonly PutRequest[], deletes: readonly DeleteRequest[], origin: ChangeOrigin, options: WriteOptions = {}): Promise<WriteOutcome> {
    // Writes of this process go one at a time: concurrent ones would all validate at the same revision
    // and all but one fail the store's check, so N parallel clients would cost O(N²) attempts. Only
    // writes from other replicas can still race; those are retried below.
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      const outcome = await this.writeNow(puts, deletes, origin, options);
      if (options.dryRun !== true) this.audit?.committed(origin, outcome.revision, outcome.changes);
      return outcome;
    } catch (err) {
      const targets = [...puts.map((p) => ({ kind: p.resource.kind, name: p.resource.spec.name })), ...deletes];
      this.audit?.refused(origin, err instanceof ControlPlaneError ? err.code : ErrorCode.Internal, targets);
      throw err;
    } finally {
      release();
    }
  }

  private async writeNow(puts: readonly PutRequest[], deletes: readonly DeleteRequest[], origin: ChangeOrigin, options: WriteOptions): Promise<WriteOutcome> {
    for (let attempt = 1; ; attempt++) {
      await this.ensureWritable();
      const validatedAt = this.cache.revision;
      const extra = await options.extend?.(validatedAt);
      const plan = this.plan(puts, extra === undefined ? deletes : [...deletes, ...extra.deletes]);
      const meta = extra?.meta ?? [];
      if (options.dryRun === true || (plan.ops.length === 0 && meta.length === 0)) {
        return { revision: validatedAt, changes: plan.changes.map((c) => ({ ...c, revision: c.revision ?? validatedAt })) };
      }
      let revision: number;
      try {
        const record = this.history?.record({
          validatedAt, actor: origin.actor, operation: origin.operation,
          ...(origin.toRevision === undefined ? {} : { toRevision: origin.toRevision }), changes: recordedChanges(plan.changes),
        }) ?? [];
        revision = await this.commit(plan.ops, validatedAt, [...meta, ...record]);
      } catch (err) {
        if (err instanceof ControlPlaneError && err.code === ErrorCode.ConcurrentWrite && attempt < this.maxAttempts) {
          // Another write landed after validatedAt: wait until the cache shows it, then check again.
          await this.cache.waitForRevision(validatedAt + 1, this.catchUpTimeoutMs);
          continue;
        }
        throw err;
      }
      this.history?.committed();
      const committedAt = performance.now();
      const seen = await this.cache.waitForRevision(revision, this.catchUpTimeoutMs);
      this.onCommitSeen?.((performance.now() - committedAt) / 1000, seen);
      return { revision, changes: plan.changes.map((c) => ({ ...c, revision: c.revision ?? revision })) };
    }
  }

  private async ensureWritable(): Promise<void> {
    if (this.cache.revision === 0) throw new ControlPlaneError(ErrorCode.StoreUnavailable, 'the control plane has not read the store yet; try again shortly');
    if (!this.cache.live && !(await this.cache.waitUntilLive(this.liveWaitMs))) {
      const cause = this.cache.lastStoreError;
      const why = cause === undefined ? '' : ` (${describeEtcdError(cause)})`;
      throw new ControlPlaneError(ErrorCode.StoreUnavailable, `the store is unreachable${why}: writes are refused, reads answer from revision ${this.cache.revision}`, { cause });
    }
  }

  /** The ops to commit, checked against the cache; puts equal to the stored resource are left out. */
  private plan(puts: readonly PutRequest[], requestedDeletes: readonly DeleteRequest[]): {
    ops: WriteOp[];
    changes: Array<PlannedChange & { revision?: number }>;
  } {
    // Missing resources a caller allows to be missing are reported, not deleted (nor checked).
    const deletes = requestedDeletes.filter((d) => !(d.missingOk === true && this.cache.get(d.kind, d.name) === undefined));
    const check = checkChangeSet(this.cache.resources, { puts: puts.map((p) => p.resource), deletes });
    if (check.invalid.length > 0) {
      throw new ControlPlaneError(ErrorCode.Validation, `${check.invalid.length} reference error${check.invalid.length === 1 ? '' : 's'}`, { errors: check.invalid });
    }
    if (check.referenced.length > 0) {
      const targets = [...new Set(check.referenced.map((e) => e.path))].join(', ');
      throw new ControlPlaneError(ErrorCode.Referenced, `${targets} ${targets.includes(',') ? 'are' : 'is'} still referenced`, { errors: check.referenced });
    }
    const ops: WriteOp[] = [];
    const changes: Array<PlannedChange & { revision?: number }> = [];
    for (const p of puts) {
      const { kind, spec } = p.resource;
      const current = this.cache.get(kind, spec.name);
      const before = current === undefined ? {} : { before: current.resource };
      if (p.ifRevision === undefined && current !== undefined && sameSpec(current.resource, p.resource)) {
        changes.push({ kind, name: spec.name, action: 'unchanged', revision: current.revision, ...before, after: p.resource });
        continue;
      }
      ops.push(p.ifRevision === undefined ? { op: 'put', resource: p.resource } : { op: 'put', resource: p.resource, ifRevision: p.ifRevision });
      changes.push({ kind, name: spec.name, action: current === undefined ? 'created' : 'updated', ...before, after: p.resource });
    }
    for (const d of requestedDeletes) {
      const current = this.cache.get(d.kind, d.name);
      if (current === undefined && d.missingOk === true) {
        changes.push({ kind: d.kind, name: d.name, action: 'notFound' });
        continue;
      }
      // Missing is 404 whatever If-Match says: `If-Match: 0` would otherwise "delete" nothing and
      // push an empty revision to the whole fleet.
      if (current === undefined) {
        throw new ControlPlaneError(ErrorCode.NotFound, `${resourcePath(d.kind, d.name)} does not exist`);
      }
      ops.push(d.ifRevision === undefined ? { op: 'delete', kind: d.kind, name: d.name } : { op: 'delete', kind: d.kind, name: d.name, ifRevision: d.ifRevision });
      changes.push({ kind: d.kind, name: d.name, action: d.pruned === true ? 'pruned' : 'deleted', before: current.resource });
    }
    return { ops, changes };
  }

  private async commit(ops: WriteOp[], validatedAt: number, meta: readonly MetaWrite[]): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ControlPlaneError(ErrorCode.StoreUnavailable,
        `the store did not answer within ${this.commitTimeoutMs} ms; the write may or may not have been applied`)), this.commitTimeoutMs);
    });
    try {
      return await Promise.race([this.store.commit(ops, validatedAt, meta), timeout]);
    } catch (err) {
      if (err instanceof ControlPlaneError) throw err;
      throw new ControlPlaneError(ErrorCode.StoreUnavailable, `the store refused the write: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

function sameSpec(a: Resource, b: Resource): boolean {
  return JSON.stringify(specToJson(a)) === JSON.stringify(specToJson(b));
}

/** The resources a commit writes, with what each held before, as the change history records them. */
function recordedChanges(changes: readonly PlannedChange[]): RecordedChange['changes'][number][] {
  return changes.flatMap((c): RecordedChange['changes'][number][] => {
    switch (c.action) {
      case 'created': return [{ kind: c.kind, name: c.name, action: 'created' }];
      case 'updated': return [{ kind: c.kind, name: c.name, action: 'updated', ...(c.before === undefined ? {} : { before: c.before }) }];
      case 'deleted':
      case 'pruned': return [{ kind: c.kind, name: c.name, action: 'deleted', ...(c.before === undefined ? {} : { before: c.before }) }];
      default: return [];
    }
  });
}
