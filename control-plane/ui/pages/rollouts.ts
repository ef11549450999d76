// Rollouts: the current revision's rollout (share of proxies on it, the ones lagging, the ones that
// NACKed it with their errors) kept current by the live feed, the synced share over time while it
// converges, and the recent changes from /v1/history (who, when, what).
import { html } from '../html.js';
import { percent, when } from '../format.js';
import type { HistoryEntry, Rollout } from '../api-types.js';
import { useLive } from '../live-state.js';
import { TimeChart } from '../parts/time-chart.js';
import { useFetch } from '../parts/use-fetch.js';
import { Link, proxyPath } from '../router.js';

function CurrentRollout(props: { rollout: Rollout }) {
  const r = props.rollout;
  const share = r.proxies === 0 ? 1 : r.at / r.proxies;
  return html`
    <p class="rollout-share" role="status">Revision ${r.revision}: <strong>${percent(share)}</strong> of proxies on it (${r.at} of ${r.proxies}; ${r.behind} behind, ${r.rejecting} rejecting)</p>
    <progress max="1" value=${share} aria-label="Share of proxies on the current revision">${percent(share)}</progress>
    ${r.errors.length === 0 ? null : html`
      <h3>Rejected by</h3>
      <table aria-label="Proxies rejecting the revision">
        <thead><tr><th scope="col">Node</th><th scope="col">Replica</th><th scope="col">Revision</th><th scope="col">Error</th></tr></thead>
        <tbody>${r.errors.map((e) => html`<tr key=${e.nodeId}><td><${Link} href=${proxyPath(e.nodeId)}>${e.nodeId}</${Link}></td><td>${e.replica}</td><td>${e.revision}</td><td class="nack-error">${e.error}</td></tr>`)}</tbody>
      </table>`}
    ${r.lagging.length === 0 ? null : html`
      <h3>Lagging</h3>
      <ul>${r.lagging.map((l) => html`<li key=${l.nodeId}><${Link} href=${proxyPath(l.nodeId)}>${l.nodeId}</${Link}> at revision ${l.ackedRevision}</li>`)}</ul>`}
    ${r.truncated ? html`<p class="muted">The lists stop at their limit; the counts are whole.</p>` : null}`;
}

function History(props: { revision: number }) {
  const { data, error } = useFetch<{ entries: readonly HistoryEntry[] }>('/v1/history?limit=20', props.revision);
  if (error !== undefined) return html`<p class="error" role="alert">${error.message}</p>`;
  if (data === undefined) return html`<p role="status">Loading…</p>`;
  if (data.entries.length === 0) return html`<p class="muted">No recorded changes yet.</p>`;
  return html`
    <table aria-label="Recent changes">
      <thead><tr><th scope="col">Revision</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Operation</th><th scope="col">What changed</th></tr></thead>
      <tbody>${data.entries.map((e) => html`<tr key=${e.revision}>
        <td>${e.revision}</td><td>${when(e.time)}</td><td>${e.actor}</td>
        <td>${e.operation}${e.toRevision === undefined ? '' : ` to ${e.toRevision}`}</td>
        <td>${e.changes.map((c) => `${c.kind}/${c.name} ${c.action}`).join(', ')}</td>
      </tr>`)}</tbody>
    </table>`;
}

export function RolloutsPage() {
  const state = useLive();
  const fetched = useFetch<Rollout>(state.overview === undefined ? '/v1/rollout?limit=20' : undefined, state.revision);
  const rollout = state.overview?.rollout ?? fetched.data;
  const last = state.shares.at(-1);
  return html`
    <h1>Rollouts</h1>
    <section aria-labelledby="ro-current">
      <h2 id="ro-current">Current rollout</h2>
      ${rollout === undefined ? html`<p role="status">Loading…</p>` : html`<${CurrentRollout} rollout=${rollout} />`}
      <${TimeChart} title="Share of proxies on the current revision" times=${state.shareTimes}
        series=${[{ label: 'synced share', values: state.shares, color: '#2a7ab0' }]} yRange=${[0, 1]}
        summary=${last === undefined ? 'No samples yet.' : `Latest: ${percent(last)} synced, ${state.shares.length} samples since this page opened.`} />
    </section>
    <section aria-labelledby="ro-history">
      <h2 id="ro-history">Recent revisions</h2>
      <${History} revision=${state.revision} />
    </section>`;
}
