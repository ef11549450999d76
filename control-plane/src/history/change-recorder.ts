// The seam between the write path and the change history: the writer asks for the records of a change
// and commits them in the change's own transaction (ResourceStore.commit's `meta`).
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import type { MetaWrite } from '../store/store.js';
import type { HistoryAction } from './history-entry.js';

export interface RecordedChange {
  /** The revision the change was checked against. */
  readonly validatedAt: number;
  readonly actor: string;
  readonly operation: string;
  readonly toRevision?: number;
  /** Every resource the commit writes, with what it held before (undefined: it did not exist). */
  readonly changes: ReadonlyArray<{ readonly kind: Kind; readonly name: string; readonly action: HistoryAction; readonly before?: Resource }>;
}

export interface ChangeRecorder {
  /** Called before each commit attempt: what to write beside the resources in the same transaction. */
  record(change: RecordedChange): MetaWrite[];
  /** Called after a commit with the records landed (for bounded background upkeep: pruning). */
  committed(): void;
}
