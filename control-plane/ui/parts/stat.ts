// One labelled figure on the overview: a term and its value in a description list.
import { html } from '../html.js';

export function Stat(props: { label: string; value: string | number; tone?: 'good' | 'warn' | 'bad' | undefined }) {
  return html`<div class=${`stat${props.tone === undefined ? '' : ` stat-${props.tone}`}`}><dt>${props.label}</dt><dd>${props.value}</dd></div>`;
}
