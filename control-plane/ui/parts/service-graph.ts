// A small service-to-service graph as SVG, from the traffic window's edges: services on a circle,
// one line per edge, thicker with more requests and red with errors. SVG text elements are set by
// Preact as text, so a service name is never markup. A list after it says the same for screen readers.
import { html } from '../html.js';
import type { Traffic } from '../api-types.js';
import { percent, rate } from '../format.js';

const SIZE = 360;

export function ServiceGraph(props: { edges: Traffic['edges'] }) {
  const names = [...new Set(props.edges.flatMap((e) => [e.from, e.to]))].sort();
  if (names.length === 0) return html`<p class="muted">No service-to-service traffic in this window.</p>`;
  const radius = SIZE / 2 - 50;
  const at = new Map(names.map((n, i) => {
    const a = (2 * Math.PI * i) / names.length - Math.PI / 2;
    return [n, { x: SIZE / 2 + radius * Math.cos(a), y: SIZE / 2 + radius * Math.sin(a) }];
  }));
  const maxRps = Math.max(...props.edges.map((e) => e.rps), 1);
  return html`
    <svg class="graph" viewBox=${`0 0 ${SIZE} ${SIZE}`} width=${SIZE} height=${SIZE} role="img" aria-labelledby="graph-title">
      <title id="graph-title">Service-to-service traffic</title>
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" /></marker></defs>
      ${props.edges.map((e) => {
        const a = at.get(e.from)!;
        const b = at.get(e.to)!;
        return html`<line key=${`${e.from}>${e.to}`} x1=${a.x} y1=${a.y} x2=${b.x} y2=${b.y} class=${e.errorRate > 0.01 ? 'edge edge-bad' : 'edge'}
          stroke-width=${1 + (4 * e.rps) / maxRps} marker-end="url(#arrow)" />`;
      })}
      ${names.map((n) => {
        const p = at.get(n)!;
        return html`<g key=${n}><circle cx=${p.x} cy=${p.y} r="6" class="node" /><text x=${p.x} y=${p.y - 10} text-anchor="middle">${n}</text></g>`;
      })}
    </svg>
    <ul class="edges">${props.edges.map((e) => html`<li key=${`${e.from}>${e.to}`}>${e.from} → ${e.to}: ${rate(e.rps)} req/s, ${percent(e.errorRate)} errors</li>`)}</ul>`;
}
