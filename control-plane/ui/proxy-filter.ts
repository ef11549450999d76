// Filtering and sorting the fleet's proxies for the proxies table; pure, so 10,000 records are
// filtered and sorted in a few milliseconds when the filter, the sort or the revision changes (the
// feed's changes in between are applied in place: proxy-view.ts).
import type { ProxyRecord, SyncState } from './api-types.js';

/** As the control plane judges it: NACK while it runs without a version it rejected, else SYNCED at the revision. */
export function stateOf(p: ProxyRecord, revision: number): SyncState {
  if (p.rejected.length > 0) return 'NACK';
  if (revision === 0 && p.state !== undefined) return p.state;
  return p.ackedRevision >= revision ? 'SYNCED' : 'STALE';
}

export interface ProxyFilter {
  readonly text: string;
  readonly service: string;
  readonly zone: string;
  readonly replica: string;
  readonly state: string;
}

export const NO_FILTER: ProxyFilter = { text: '', service: '', zone: '', replica: '', state: '' };

export type SortKey = 'nodeId' | 'service' | 'zone' | 'replica' | 'state' | 'ackedRevision' | 'connectedSince';
export interface Sort { readonly key: SortKey; readonly descending: boolean }

export interface ProxyRow { readonly p: ProxyRecord; readonly state: SyncState }

/** Whether a proxy in `state` passes the filter (its `text` already trimmed and lower case). */
export function passes(p: ProxyRecord, state: SyncState, f: ProxyFilter, text: string): boolean {
  if (f.service !== '' && p.service !== f.service) return false;
  if (f.zone !== '' && p.zone !== f.zone) return false;
  if (f.replica !== '' && p.replica !== f.replica) return false;
  if (f.state !== '' && state !== f.state) return false;
  return text === '' || `${p.nodeId}\n${p.service}\n${p.zone}\n${p.replica}\n${p.address}\n${p.lastError?.error ?? ''}`.toLowerCase().includes(text);
}

/** The table's order: by the sort's column, then by node id, so that no two rows are equal. */
export function rowOrder(sort: Sort): (a: ProxyRow, b: ProxyRow) => number {
  const sign = sort.descending ? -1 : 1;
  const key = sort.key;
  return (a, b) => {
    const x = key === 'state' ? a.state : a.p[key];
    const y = key === 'state' ? b.state : b.p[key];
    const c = x < y ? -1 : x > y ? 1 : 0;
    return c !== 0 ? c * sign : a.p.nodeId < b.p.nodeId ? -1 : a.p.nodeId > b.p.nodeId ? 1 : 0;
  };
}

export function filterAndSort(all: Iterable<ProxyRecord>, revision: number, f: ProxyFilter, sort: Sort): ProxyRow[] {
  const text = f.text.trim().toLowerCase();
  const rows: ProxyRow[] = [];
  for (const p of all) {
    const state = stateOf(p, revision);
    if (passes(p, state, f, text)) rows.push({ p, state });
  }
  return rows.sort(rowOrder(sort));
}

/** The distinct values of one label, sorted, for a filter's choices. */
export function valuesOf(all: Iterable<ProxyRecord>, label: 'service' | 'zone' | 'replica'): string[] {
  const seen = new Set<string>();
  for (const p of all) seen.add(p[label]);
  return [...seen].sort();
}
