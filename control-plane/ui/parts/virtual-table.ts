// A table that renders only the rows in view (plus a few either side) inside a scrolling box, so
// 10,000 rows cost what 30 do. It stays a real <table>: aria-rowcount and aria-rowindex tell a screen
// reader how many rows there are and where each shown one sits; the spacer rows are hidden from it.
import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { html } from '../html.js';

export interface Column<K extends string> { readonly key: K; readonly label: string }

const OVERSCAN = 8;

export function VirtualTable<R, K extends string>(props: {
  label: string;
  columns: ReadonlyArray<Column<K>>;
  rows: readonly R[];
  rowKey: (row: R) => string;
  cell: (row: R, key: K) => ComponentChildren;
  sort: { key: K; descending: boolean };
  onSort: (key: K) => void;
  rowHeight?: number;
  height?: number;
}) {
  const rowHeight = props.rowHeight ?? 32;
  // A short table takes the room its rows need; a long one scrolls inside this height.
  const height = Math.min(props.height ?? 560, (props.rows.length + 1) * rowHeight + 4);
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(props.rows.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const shown = props.rows.slice(first, last);
  const onScroll = (e: Event): void => setTop((e.currentTarget as HTMLElement).scrollTop);
  const header = (c: Column<K>) => {
    const sorted = props.sort.key === c.key;
    const ariaSort = sorted ? (props.sort.descending ? 'descending' : 'ascending') : 'none';
    return html`<th key=${c.key} scope="col" aria-sort=${ariaSort}>
      <button type="button" class="sort" onClick=${() => props.onSort(c.key)}>${c.label}<span aria-hidden="true">${sorted ? (props.sort.descending ? ' ▼' : ' ▲') : ''}</span></button>
    </th>`;
  };
  return html`
    <div class="table-scroll" style=${{ height: `${height}px` }} onScroll=${onScroll} tabindex="0" role="region" aria-label=${`${props.label}, scrollable`}>
      <table aria-label=${props.label} aria-rowcount=${props.rows.length + 1} class="virtual">
        <thead><tr aria-rowindex="1">${props.columns.map(header)}</tr></thead>
        <tbody>
          <tr aria-hidden="true" class="spacer" style=${{ height: `${first * rowHeight}px` }}></tr>
          ${shown.map((row, i) => html`<tr key=${props.rowKey(row)} aria-rowindex=${first + i + 2} style=${{ height: `${rowHeight}px` }}>
            ${props.columns.map((c) => html`<td key=${c.key}>${props.cell(row, c.key)}</td>`)}
          </tr>`)}
          <tr aria-hidden="true" class="spacer" style=${{ height: `${(props.rows.length - last) * rowHeight}px` }}></tr>
        </tbody>
      </table>
    </div>`;
}
