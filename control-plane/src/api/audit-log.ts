// The audit trail of the admin API: one info line per change request, committed or refused, naming
// who asked (the token's name, never the token), the revision and the kinds and names it touched.
// Resources themselves are never logged: they may hold private keys.
import type { Logger } from 'pino';
import type { Kind } from '../../../proto/src/model/kinds.js';

/** What a change request did: the admin API's write operations; `other` for any other changing route. */
export type ChangeOperation = 'apply' | 'put' | 'delete' | 'prune' | 'rollback' | 'other';

/** Who asks for a change and how: carried by every write down to the store. */
export interface ChangeOrigin {
  /** The name of the caller's token (`admin` for `--token-file`). */
  readonly actor: string;
  readonly operation: ChangeOperation;
  /** (rollback) the revision whose configuration the change restores. */
  readonly toRevision?: number;
}

export interface ResourceRef {
  /** A Kind, or the path's spelling when a request names no known kind. */
  readonly kind: string;
  readonly name: string;
}

export interface CommittedChange {
  readonly kind: Kind;
  readonly name: string;
  /** `pruned`: deleted because its apply set no longer holds it; `notFound`: a delete -f of a missing resource. */
  readonly action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'pruned' | 'notFound';
}

export class AuditLog {
  constructor(private readonly log: Logger) {}

  /** A change request went through; `revision` is the store revision it produced (or the current one). */
  committed(origin: ChangeOrigin, revision: number, changes: readonly CommittedChange[]): void {
    const changed = changes.filter((c) => c.action !== 'unchanged' && c.action !== 'notFound').map(({ kind, name, action }) => ({ kind, name, action }));
    this.log.info({
      audit: 'change', actor: origin.actor, operation: origin.operation, revision, changes: changed,
      unchanged: changes.length - changed.length,
    }, changed.length === 0 ? 'change request changed nothing' : 'change committed');
  }

  /** A change request was refused: `code` says why (SLUICE_FORBIDDEN, SLUICE_VALIDATION, ...). */
  refused(origin: ChangeOrigin, code: string, targets: readonly ResourceRef[], detail: Record<string, unknown> = {}): void {
    this.log.info({
      audit: 'refused', actor: origin.actor, operation: origin.operation, code,
      targets: targets.map(({ kind, name }) => ({ kind, name })), ...detail,
    }, 'change refused');
  }
}
