// One record of the change history: who changed what, when, and each changed resource as it was
// BEFORE the change (its stored form, private keys sealed). The value under HISTORY_PREFIX, written in
// the transaction of the change itself, so a change is never committed without its record.
//
// Only "before" is kept: the state at any retained revision is the current state with the later
// changes undone, and a change's "after" is the next record's "before" of that resource or the current
// resource (history-listing.ts). That keeps a record as small as what the change replaced (nothing
// for a create), so recording history costs a commit little of etcd's --max-request-bytes.
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import { parseKind } from '../../../proto/src/model/kinds.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { SecretSealer } from '../identity/secret-sealer.js';
import { META_PREFIX, resourceKey } from '../store/keys.js';
import { fromStoredValue, toStoredValue } from '../store/stored-value.js';

/** Every history record, keyed by the revision its change was validated at (see historyKey). */
export const HISTORY_PREFIX = `${META_PREFIX}history/`;

export type HistoryAction = 'created' | 'updated' | 'deleted';

/** What one change request (an apply, a put, a delete, a rollback) changed. */
export interface HistoryRecord {
  /** The revision the change was checked against: the state just before it (nothing committed in between). */
  readonly validatedAt: number;
  /** ISO 8601, the writing replica's clock. */
  readonly time: string;
  /** The token's name. */
  readonly actor: string;
  /** apply, put, delete, prune, rollback, other. */
  readonly operation: string;
  /** (rollback) the revision whose configuration it restored. */
  readonly toRevision?: number;
  readonly changes: ReadonlyArray<{ readonly kind: Kind; readonly name: string; readonly action: HistoryAction; readonly before?: Resource }>;
}

/** A record read back, with the revision of the commit that wrote it. */
export interface StoredHistoryRecord extends HistoryRecord {
  readonly revision: number;
}

/**
 * A commit validated at R succeeds only when nothing committed after R (the generation key's
 * compare), so no two committed changes share a validatedAt, and validatedAt grows with commit order:
 * the zero-padded number sorts records in the order they were committed.
 */
export function historyKey(validatedAt: number): string {
  return `${HISTORY_PREFIX}${String(validatedAt).padStart(16, '0')}`;
}

export function encodeHistoryRecord(record: HistoryRecord, sealer: SecretSealer): string {
  return JSON.stringify({
    ...record,
    changes: record.changes.map((c) => ({
      kind: c.kind,
      name: c.name,
      action: c.action,
      ...(c.before === undefined ? {} : { before: JSON.parse(toStoredValue(c.before, sealer)) as unknown }),
    })),
  });
}

/**
 * Decodes a stored record; throws SLUICE_INTERNAL naming the key for a value that is not one (written
 * by hand), and SLUICE_SECRET_UNREADABLE for a private key no configured encryption key opens.
 */
export function decodeHistoryRecord(key: string, value: string, revision: number, sealer: SecretSealer): StoredHistoryRecord {
  const bad = (why: string): ControlPlaneError => new ControlPlaneError(ErrorCode.Internal, `the history record ${key} is unreadable: ${why}`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(value) as Record<string, unknown>;
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (typeof raw['validatedAt'] !== 'number' || !Array.isArray(raw['changes'])) throw bad('no validatedAt or changes');
  const changes = (raw['changes'] as Array<Record<string, unknown>>).map((c) => {
    const kind = parseKind(String(c['kind']));
    const name = String(c['name']);
    const action = c['action'] as HistoryAction;
    if (kind === undefined || !['created', 'updated', 'deleted'].includes(action)) throw bad(`a change of unknown kind or action: ${JSON.stringify([c['kind'], c['action']])}`);
    if (c['before'] === undefined) return { kind, name, action };
    const decoded = fromStoredValue(resourceKey(kind, name), JSON.stringify(c['before']), sealer);
    if (!decoded.ok) throw bad(decoded.reason);
    return { kind, name, action, before: decoded.resource };
  });
  return {
    revision,
    validatedAt: raw['validatedAt'],
    time: String(raw['time']),
    actor: String(raw['actor']),
    operation: String(raw['operation']),
    ...(typeof raw['toRevision'] === 'number' ? { toRevision: raw['toRevision'] } : {}),
    changes,
  };
}
