// One proxy: its record from the live feed, the versions it rejected and its last error, what the
// control plane would send it now (GET /v1/proxies/<node>/intended) and the certificates in it.
import { html } from '../html.js';
import { when } from '../format.js';
import { useLive } from '../live-state.js';
import { statusOf, useFetch } from '../parts/use-fetch.js';
import { stateOf } from '../proxy-filter.js';
import { BASE, Link } from '../router.js';

interface Intended { readonly revision: number; readonly scopedBy?: unknown; readonly resources: ReadonlyArray<{ kind: string; name: string; [k: string]: unknown }> }

function Intended(props: { node: string; revision: number }) {
  const { data, error } = useFetch<Intended>(`/v1/proxies/${encodeURIComponent(props.node)}/intended`, props.revision);
  if (error !== undefined) {
    return html`<p class="muted">${statusOf(error) === 404 ? 'Not connected to this control-plane replica: its intended configuration is not known here.' : error.message}</p>`;
  }
  if (data === undefined) return html`<p role="status">Loading…</p>`;
  const certs = data.resources.filter((r) => r.kind === 'Certificate');
  return html`
    <p>Revision ${data.revision}: ${data.resources.length} resources.</p>
    ${certs.length === 0 ? null : html`
      <h3>Certificates</h3>
      <table aria-label="Certificates">
        <thead><tr><th scope="col">Name</th><th scope="col">SNI names</th><th scope="col">Not after</th></tr></thead>
        <tbody>${certs.map((c) => html`<tr key=${c.name}><td>${c.name}</td><td>${JSON.stringify(c['sniNames'] ?? c['sni'] ?? [])}</td><td>${String(c['notAfter'] ?? '—')}</td></tr>`)}</tbody>
      </table>`}
    <details>
      <summary>Intended configuration (JSON)</summary>
      <pre class="code">${JSON.stringify(data, null, 2)}</pre>
    </details>`;
}

export function ProxyPage(props: { node: string }) {
  const state = useLive();
  const p = state.proxies.get(props.node);
  const back = html`<p><${Link} href=${`${BASE}/proxies`}>All proxies</${Link}></p>`;
  if (p === undefined) {
    return html`<h1>Proxy ${props.node}</h1>${back}
      <p role="status">${state.proxiesLoaded ? 'This proxy is not connected.' : 'Loading…'}</p>`;
  }
  const s = stateOf(p, state.revision);
  const fields: Array<[string, string]> = [
    ['State', s], ['Service', p.service], ['Namespace', p.namespace], ['Zone', p.zone], ['Replica', p.replica],
    ['Address', p.address], ['Admin address', p.adminAddress || '—'], ['Version', p.version],
    ['Connected since', when(p.connectedSince)], ['ACKed revision', String(p.ackedRevision)], ['Last ACK', when(p.lastAckAt)],
  ];
  return html`
    <h1>Proxy ${p.nodeId}</h1>
    ${back}
    <section aria-labelledby="px-record">
      <h2 id="px-record">Record</h2>
      <dl class="record">${fields.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v === '' ? '—' : v}</dd></div>`)}</dl>
      <p>Revision ACKed per type: ${Object.entries(p.types).map(([t, r]) => `${t} ${r}`).join(', ') || '—'}</p>
    </section>
    <section aria-labelledby="px-errors">
      <h2 id="px-errors">Rejected configuration</h2>
      ${p.rejected.length === 0
        ? html`<p class="muted">Nothing rejected.</p>`
        : html`<ul class="errors">${p.rejected.map((r) => html`<li key=${`${r.kind}/${r.name}`}><strong>${r.kind} ${r.name}</strong> (revision ${r.revision}): <span class="nack-error">${r.error}</span></li>`)}</ul>`}
      ${p.lastError === undefined ? null : html`<p>Last error (revision ${p.lastError.revision}, ${when(p.lastError.at)}): <span class="nack-error">${p.lastError.error}</span></p>`}
    </section>
    <section aria-labelledby="px-intended">
      <h2 id="px-intended">Intended configuration</h2>
      <${Intended} node=${p.nodeId} revision=${state.revision} />
    </section>`;
}
