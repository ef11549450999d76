// The configuration at a past revision, computed from the current resources and the retained history:
// every change after it undone, newest first, with the "before" each record holds. The same walk gives
// each change its "after" (what the next change of that resource replaced, or the current resource).
import { KINDS, type Kind, type Resource } from '../../../proto/src/model/kinds.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { StoredResource } from '../store/store.js';
import type { HistoryAction, StoredHistoryRecord } from './history-entry.js';

/** The resources at one revision, by `Kind/name`. */
export interface ResourcesAt {
  readonly revision: number;
  readonly resources: ReadonlyMap<string, StoredResource>;
}

export interface ChangeWithAfter {
  readonly kind: Kind;
  readonly name: string;
  readonly action: HistoryAction;
  readonly before?: Resource;
  readonly after?: Resource;
}

export type RecordWithAfter = Omit<StoredHistoryRecord, 'changes'> & { readonly changes: readonly ChangeWithAfter[] };

export function refOf(kind: Kind, name: string): string {
  return `${kind}/${name}`;
}

/** The cache's resources and revision, taken in one synchronous step (no update falls in between). */
export function resourcesNow(cache: ResourceCache): ResourcesAt {
  const resources = new Map<string, StoredResource>();
  for (const kind of KINDS) for (const stored of cache.list(kind)) resources.set(refOf(kind, stored.resource.spec.name), stored);
  return { revision: cache.revision, resources };
}

/**
 * The oldest revision whose configuration the records can rebuild: the state the oldest record's change
 * was checked against. With no record at all, only the current revision.
 */
export function oldestRevision(records: readonly StoredHistoryRecord[], current: ResourcesAt): number {
  return records[0]?.validatedAt ?? current.revision;
}

/**
 * The resources at `toRevision`. Throws SLUICE_HISTORY_EXPIRED when it is older than the retained
 * history reaches, SLUICE_BAD_REQUEST when it is after `current`. `records`: oldest first, none after
 * `current.revision`.
 */
export function resourcesAt(toRevision: number, current: ResourcesAt, records: readonly StoredHistoryRecord[]): Map<string, Resource> {
  const oldest = oldestRevision(records, current);
  if (toRevision > current.revision) {
    throw new ControlPlaneError(ErrorCode.BadRequest, `revision ${toRevision} is after the current revision ${current.revision}`, {
      errors: [{ path: 'toRevision', message: `after the current revision ${current.revision}` }],
    });
  }
  if (toRevision < oldest) {
    throw new ControlPlaneError(ErrorCode.HistoryExpired,
      `revision ${toRevision} is older than the retained history reaches: the oldest revision it can restore is ${oldest} (--history-limit)`, {
        errors: [{ path: 'toRevision', message: `older than the oldest revision still held, ${oldest}` }],
      });
  }
  const state = new Map<string, Resource>([...current.resources].map(([ref, stored]) => [ref, stored.resource]));
  for (const record of [...records].reverse()) {
    if (record.revision <= toRevision) break;
    for (const change of record.changes) {
      const ref = refOf(change.kind, change.name);
      if (change.before === undefined) state.delete(ref);
      else state.set(ref, change.before);
    }
  }
  return state;
}

/** Each record's changes with their "after": oldest first, as given. */
export function withAfter(records: readonly StoredHistoryRecord[], current: ResourcesAt): RecordWithAfter[] {
  const state = new Map<string, Resource | undefined>([...current.resources].map(([ref, stored]) => [ref, stored.resource]));
  const out: RecordWithAfter[] = [];
  for (const record of [...records].reverse()) {
    const changes = record.changes.map((change): ChangeWithAfter => {
      const ref = refOf(change.kind, change.name);
      const after = change.action === 'deleted' ? undefined : state.get(ref);
      state.set(ref, change.before);
      return { ...change, ...(after === undefined ? {} : { after }) };
    });
    out.push({ ...record, changes });
  }
  return out.reverse();
}
