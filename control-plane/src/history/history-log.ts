// The change history in the store: writes a record beside every change (ChangeRecorder), reads the
// retained records back in commit order, and prunes the oldest beyond the retention limit.
//
// Retention: the last `limit` records (--history-limit). Readers only ever see those, so what can be
// listed and rolled back to does not depend on when pruning ran. Pruning deletes the records beyond
// the limit in a bounded background step after every tenth of `limit` commits of this replica (any
// replica may do it: deleting a deleted key is harmless), so the store holds at most about 10% more.
import type { Logger } from 'pino';
import type { SecretSealer } from '../identity/secret-sealer.js';
import type { KeyValueStore } from '../store/key-value-store.js';
import type { MetaWrite } from '../store/store.js';
import type { ChangeRecorder, RecordedChange } from './change-recorder.js';
import { decodeHistoryRecord, encodeHistoryRecord, HISTORY_PREFIX, historyKey, type StoredHistoryRecord } from './history-entry.js';

export const DEFAULT_HISTORY_LIMIT = 1000;
/** Keys one pruning step deletes at most; the next step goes on. */
const MAX_PRUNE_PER_STEP = 500;

export interface HistoryLogOptions {
  readonly keyValues: KeyValueStore;
  /** Seals private keys in the records as the store seals them in resources. */
  readonly sealer: SecretSealer;
  /** Records kept (default 1000). */
  readonly limit?: number;
  readonly log?: Logger;
  readonly now?: () => Date;
}

export class HistoryLog implements ChangeRecorder {
  readonly limit: number;
  private readonly keyValues: KeyValueStore;
  private readonly sealer: SecretSealer;
  private readonly log: Logger | undefined;
  private readonly now: () => Date;
  private readonly pruneEvery: number;
  private commitsSincePrune: number;
  private pruning: Promise<void> | undefined;

  constructor(options: HistoryLogOptions) {
    this.keyValues = options.keyValues;
    this.sealer = options.sealer;
    this.limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
    this.pruneEvery = Math.max(1, Math.ceil(this.limit / 10));
    // The first commit after a start prunes: a lower limit than before takes effect at once.
    this.commitsSincePrune = this.pruneEvery - 1;
  }

  record(change: RecordedChange): MetaWrite[] {
    const value = encodeHistoryRecord({ ...change, time: this.now().toISOString() }, this.sealer);
    return [{ key: historyKey(change.validatedAt), value }];
  }

  committed(): void {
    if (++this.commitsSincePrune < this.pruneEvery || this.pruning !== undefined) return;
    this.commitsSincePrune = 0;
    this.pruning = this.prune()
      .then((deleted) => {
        if (deleted > 0) this.log?.debug({ deleted }, 'pruned the change history');
      })
      .catch((err: unknown) => this.log?.warn({ err }, 'pruning the change history failed; the next commit tries again'))
      .finally(() => (this.pruning = undefined));
  }

  /** Resolves once a pruning step under way (if any) ended; for tests and shutdown. */
  async settled(): Promise<void> {
    await this.pruning;
  }

  /**
   * The retained records committed at or before `atRevision`, oldest first. Pass the revision of the
   * resources the records are compared with: a record committed after it describes a change they do
   * not show yet.
   */
  async read(atRevision: number): Promise<StoredHistoryRecord[]> {
    const stored = await this.keyValues.list(HISTORY_PREFIX);
    return stored.slice(-this.limit)
      .filter((kv) => kv.revision <= atRevision)
      .map((kv) => decodeHistoryRecord(kv.key, kv.value, kv.revision, this.sealer));
  }

  /** Deletes the oldest records beyond the limit (at most MAX_PRUNE_PER_STEP); resolves with how many. */
  async prune(): Promise<number> {
    const stored = await this.keyValues.list(HISTORY_PREFIX);
    const excess = stored.slice(0, Math.max(0, stored.length - this.limit)).slice(0, MAX_PRUNE_PER_STEP);
    for (const kv of excess) await this.keyValues.delete(kv.key);
    return excess.length;
  }
}
