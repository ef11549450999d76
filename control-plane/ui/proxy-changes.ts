// The last `proxies` events as changes (a record before and after), kept so that a view of the fleet
// (the Proxies page's filtered and sorted rows, proxy-view.ts) can follow them in place instead of
// filtering and sorting 10,000 records again for each event. Bounded: a view that fell further behind
// than the log holds, or past a reset, starts over from the records.
import type { ProxyRecord } from './api-types.js';

/** One proxy's change: `before` absent for a new proxy, `after` absent for one that went away. */
export interface ProxyChange {
  readonly before?: ProxyRecord;
  readonly after?: ProxyRecord;
}

/** Changes the log holds at most: beyond that many a view rebuilds, which then costs about the same. */
const MAX_HELD_CHANGES = 4096;

export class ProxyChangeLog {
  /** Counts every event, a reset included. */
  version = 0;
  private entries: Array<{ readonly version: number; readonly changes: readonly ProxyChange[] }> = [];
  private held = 0;

  /** A reset: what came before it cannot be followed from the changes alone. */
  reset(): void {
    this.version++;
    this.entries = [];
    this.held = 0;
  }

  record(changes: readonly ProxyChange[]): void {
    this.version++;
    this.entries.push({ version: this.version, changes });
    this.held += changes.length;
    while (this.held > MAX_HELD_CHANGES && this.entries.length > 0) this.held -= this.entries.shift()!.changes.length;
  }

  /** Every change after `version`, in order; undefined when the log no longer holds all of them. */
  since(version: number): ProxyChange[] | undefined {
    if (version === this.version) return [];
    const first = this.entries[0];
    if (first === undefined || first.version > version + 1) return undefined;
    const out: ProxyChange[] = [];
    for (const e of this.entries) if (e.version > version) out.push(...e.changes);
    return out;
  }
}
