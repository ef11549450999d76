// Overview: the fleet at a glance from the live feed's `overview` event: proxies connected, synced,
// stale and NACKing, the current revision and its rollout, mesh traffic, unhealthy endpoints.
import { percent, rate, ms } from '../format.js';
import { html } from '../html.js';
import { useLive } from '../live-state.js';
import { Stat } from '../parts/stat.js';
import { BASE, Link } from '../router.js';

export function OverviewPage() {
  const { overview: o } = useLive();
  if (o === undefined) return html`<h1>Overview</h1><p role="status">Waiting for the live feed…</p>`;
  const r = o.rollout;
  const share = r.proxies === 0 ? 1 : r.at / r.proxies;
  const inProgress = r.at < r.proxies;
  return html`
    <h1>Overview</h1>
    <section aria-labelledby="ov-proxies">
      <h2 id="ov-proxies">Proxies</h2>
      <dl class="stats">
        <${Stat} label="Connected" value=${o.proxies.total} />
        <${Stat} label="Synced" value=${o.proxies.synced} tone=${o.proxies.synced === o.proxies.total ? 'good' : undefined} />
        <${Stat} label="Stale" value=${o.proxies.stale} tone=${o.proxies.stale > 0 ? 'warn' : undefined} />
        <${Stat} label="NACKing" value=${o.proxies.nack} tone=${o.proxies.nack > 0 ? 'bad' : undefined} />
      </dl>
    </section>
    <section aria-labelledby="ov-config">
      <h2 id="ov-config">Configuration</h2>
      <dl class="stats">
        <${Stat} label="Current revision" value=${o.revision} />
        <${Stat} label=${inProgress ? 'Rollout in progress: synced' : 'Rollout: synced'} value=${`${percent(share)} (${r.at} of ${r.proxies})`} tone=${inProgress ? 'warn' : 'good'} />
      </dl>
      <p><${Link} href=${`${BASE}/rollouts`}>Rollout details</${Link}></p>
    </section>
    <section aria-labelledby="ov-traffic">
      <h2 id="ov-traffic">Mesh traffic</h2>
      ${o.traffic === null
        ? html`<p class="muted">no data</p>`
        : html`<dl class="stats">
            <${Stat} label="Requests per second" value=${rate(o.traffic.rps)} />
            <${Stat} label="Error rate" value=${percent(o.traffic.errorRate)} tone=${o.traffic.errorRate > 0.01 ? 'bad' : undefined} />
            <${Stat} label="p99 latency" value=${ms(o.traffic.p99Ms)} />
          </dl>`}
    </section>
    <section aria-labelledby="ov-endpoints">
      <h2 id="ov-endpoints">Endpoints</h2>
      <dl class="stats">
        <${Stat} label="Endpoints" value=${o.endpoints.total} />
        <${Stat} label="Unhealthy" value=${o.endpoints.unhealthy} tone=${o.endpoints.unhealthy > 0 ? 'bad' : undefined} />
        <${Stat} label="Ejected" value=${o.endpoints.ejected} tone=${o.endpoints.ejected > 0 ? 'warn' : undefined} />
      </dl>
    </section>`;
}
