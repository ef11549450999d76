// The Proxies page's rows (filtered and sorted) kept current from the live feed's changes: a feed
// event moves the few rows it changed (a binary search and a splice each) instead of filtering and
// sorting all 10,000 records again, so an event that lands while the table scrolls costs little. The
// rows are rebuilt whole only when the filter, the sort or the revision changes (each proxy's state
// depends on the revision), after a reset, or when the change log no longer reaches back far enough.
import type { ProxyRecord } from './api-types.js';
import type { ProxyChangeLog } from './proxy-changes.js';
import { filterAndSort, passes, type ProxyFilter, type ProxyRow, rowOrder, type Sort, stateOf, valuesOf } from './proxy-filter.js';

export type Label = 'service' | 'zone' | 'replica';

/** Past this many changes at once (an apply reaching the whole fleet) one sort costs less than the splices. */
const REBUILD_ABOVE_CHANGES = 512;

export class ProxyView {
  private rows: ProxyRow[] = [];
  private built: { revision: number; filter: ProxyFilter; sort: Sort } | undefined;
  private seen = -1;
  private choices: Record<Label, string[]> | undefined;

  constructor(private readonly all: ReadonlyMap<string, ProxyRecord>, private readonly log: ProxyChangeLog) {}

  /**
   * The rows for this filter, sort and revision, with every change logged since the last call
   * applied. The same array while nothing changed; a new one otherwise (so renders see the change).
   */
  rowsFor(revision: number, filter: ProxyFilter, sort: Sort): readonly ProxyRow[] {
    const b = this.built;
    const changes = this.log.since(this.seen);
    this.seen = this.log.version;
    if (b === undefined || b.revision !== revision || b.filter !== filter || b.sort !== sort || changes === undefined || changes.length > REBUILD_ABOVE_CHANGES) {
      this.built = { revision, filter, sort };
      this.rows = filterAndSort(this.all.values(), revision, filter, sort);
      this.choices = undefined;
      return this.rows;
    }
    if (changes.length === 0) return this.rows;
    const rows = this.rows.slice();
    const order = rowOrder(sort);
    const text = filter.text.trim().toLowerCase();
    for (const { before, after } of changes) {
      if (before !== undefined) {
        const at = indexOf(rows, { p: before, state: stateOf(before, revision) }, order);
        if (at >= 0) rows.splice(at, 1);
      }
      if (after !== undefined) {
        const row = { p: after, state: stateOf(after, revision) };
        if (passes(after, row.state, filter, text)) rows.splice(insertionPoint(rows, row, order), 0, row);
      }
      // A new value of a label, or one that may have gone: the filter's choices are worked out again.
      if (before === undefined || after === undefined || before.service !== after.service || before.zone !== after.zone || before.replica !== after.replica) this.choices = undefined;
    }
    this.rows = rows;
    return rows;
  }

  /** The distinct services, zones and replicas of every proxy (not only the filtered ones), sorted. */
  choicesFor(): Record<Label, string[]> {
    this.choices ??= { service: valuesOf(this.all.values(), 'service'), zone: valuesOf(this.all.values(), 'zone'), replica: valuesOf(this.all.values(), 'replica') };
    return this.choices;
  }
}

/** Where `row` goes in the sorted `rows`: the first place whose row sorts after it. */
function insertionPoint(rows: readonly ProxyRow[], row: ProxyRow, order: (a: ProxyRow, b: ProxyRow) => number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order(rows[mid]!, row) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the row of `row`'s proxy (ties are broken by node id, so it is the only equal one), or -1. */
function indexOf(rows: readonly ProxyRow[], row: ProxyRow, order: (a: ProxyRow, b: ProxyRow) => number): number {
  const at = insertionPoint(rows, row, order);
  return at < rows.length && rows[at]!.p.nodeId === row.p.nodeId ? at : -1;
}
