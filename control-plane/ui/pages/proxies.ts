// Proxies: every connected proxy from the live feed (reset, then upserts and removals), filtered by
// text and labels, sorted by any column, in a table that renders only the rows in view.
import { useMemo, useState } from 'preact/hooks';
import { ago } from '../format.js';
import { html } from '../html.js';
import { useLive } from '../live-state.js';
import { NO_FILTER, type ProxyFilter, type ProxyRow, type Sort, type SortKey } from '../proxy-filter.js';
import { ProxyView } from '../proxy-view.js';
import { VirtualTable } from '../parts/virtual-table.js';
import { Link, proxyPath } from '../router.js';

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string }> = [
  { key: 'nodeId', label: 'Node' },
  { key: 'service', label: 'Service' },
  { key: 'zone', label: 'Zone' },
  { key: 'replica', label: 'Replica' },
  { key: 'state', label: 'State' },
  { key: 'ackedRevision', label: 'Revision' },
  { key: 'connectedSince', label: 'Connected' },
];

function cell(row: ProxyRow, key: SortKey) {
  const p = row.p;
  switch (key) {
    case 'nodeId': return html`<${Link} href=${proxyPath(p.nodeId)}>${p.nodeId}</${Link}>`;
    case 'state': return html`<span class=${`state state-${row.state.toLowerCase()}`} title=${p.rejected[0]?.error}>${row.state}</span>`;
    case 'connectedSince': return ago(p.connectedSince);
    default: return String(p[key]);
  }
}

function Choice(props: { id: string; label: string; value: string; options: readonly string[]; onChange: (v: string) => void }) {
  return html`<span class="field">
    <label for=${props.id}>${props.label}</label>
    <select id=${props.id} value=${props.value} onChange=${(e: Event) => props.onChange((e.target as HTMLSelectElement).value)}>
      <option value="">all</option>
      ${props.options.map((o) => html`<option key=${o} value=${o}>${o === '' ? '(none)' : o}</option>`)}
    </select>
  </span>`;
}

export function ProxiesPage() {
  // Only the proxies and the revision matter here: other live changes leave the table alone.
  const state = useLive((s) => [s.proxyChanges.version, s.revision, s.proxiesLoaded]);
  const [filter, setFilter] = useState<ProxyFilter>(NO_FILTER);
  const [sort, setSort] = useState<Sort>({ key: 'nodeId', descending: false });
  const all = state.proxies;
  const view = useMemo(() => new ProxyView(all, state.proxyChanges), []);
  const rows = view.rowsFor(state.revision, filter, sort);
  const choices = view.choicesFor();
  const set = (field: keyof ProxyFilter) => (value: string) => setFilter({ ...filter, [field]: value });
  const onSort = (key: SortKey): void => setSort(sort.key === key ? { key, descending: !sort.descending } : { key, descending: false });
  return html`
    <h1>Proxies</h1>
    <form class="filters" role="search" aria-label="Filter proxies" onSubmit=${(e: Event) => e.preventDefault()}>
      <span class="field">
        <label for="filter-text">Search</label>
        <input id="filter-text" type="search" value=${filter.text} placeholder="node, service, address, error"
          onInput=${(e: Event) => set('text')((e.target as HTMLInputElement).value)} />
      </span>
      <${Choice} id="filter-service" label="Service" value=${filter.service} options=${choices.service} onChange=${set('service')} />
      <${Choice} id="filter-zone" label="Zone" value=${filter.zone} options=${choices.zone} onChange=${set('zone')} />
      <${Choice} id="filter-replica" label="Replica" value=${filter.replica} options=${choices.replica} onChange=${set('replica')} />
      <${Choice} id="filter-state" label="State" value=${filter.state} options=${['SYNCED', 'STALE', 'NACK']} onChange=${set('state')} />
    </form>
    <p class="count" role="status">${state.proxiesLoaded ? `${rows.length} of ${all.size} proxies` : 'Loading proxies…'}</p>
    <${VirtualTable} label="Proxies" columns=${COLUMNS} rows=${rows} rowKey=${(r: ProxyRow) => r.p.nodeId} cell=${cell} sort=${sort} onSort=${onSort} />`;
}
