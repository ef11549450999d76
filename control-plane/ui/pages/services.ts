// Services: routes, clusters and endpoints with their health, traffic per route and per cluster
// (GET /v1/traffic, then the live feed's `traffic` event), the mesh series as a chart and the
// service-to-service graph. A control plane without the traffic API answers 404: "traffic not available".
import { html } from '../html.js';
import { ms, percent, rate } from '../format.js';
import type { HealthAnswer, Resource, ResourceList, Traffic, TrafficFigures } from '../api-types.js';
import { useLive } from '../live-state.js';
import { ServiceGraph } from '../parts/service-graph.js';
import { TimeChart } from '../parts/time-chart.js';
import { statusOf, useFetch } from '../parts/use-fetch.js';

function figures(t: TrafficFigures | undefined) {
  if (t === undefined) return html`<td>—</td><td>—</td><td>—</td>`;
  return html`<td>${rate(t.rps)}</td><td>${percent(t.errorRate)}</td><td>${ms(t.p99Ms)}</td>`;
}

function targetsOf(route: Resource): string {
  const forward = route['forward'] as { cluster?: string; weighted?: Array<{ cluster: string; weight?: number }> } | undefined;
  if (forward?.cluster !== undefined) return forward.cluster;
  if (forward?.weighted !== undefined) return forward.weighted.map((w) => `${w.cluster} (${w.weight ?? 1})`).join(', ');
  if (route['redirect'] !== undefined) return 'redirect';
  if (route['respond'] !== undefined) return 'respond';
  return '—';
}

function Routes(props: { revision: number; traffic: Traffic | undefined }) {
  const { data, error } = useFetch<ResourceList>('/v1/routes', props.revision);
  if (error !== undefined) return html`<p class="error" role="alert">${error.message}</p>`;
  const byRoute = new Map((props.traffic?.routes ?? []).map((r) => [r.route, r]));
  return html`
    <table aria-label="Routes">
      <thead><tr><th scope="col">Route</th><th scope="col">Hosts</th><th scope="col">Forwards to</th><th scope="col">req/s</th><th scope="col">errors</th><th scope="col">p99</th></tr></thead>
      <tbody>${(data?.resources ?? []).map((r) => html`<tr key=${r.name}>
        <td>${r.name}</td><td>${((r['hosts'] as string[] | undefined) ?? []).join(', ')}</td><td>${targetsOf(r)}</td>${figures(byRoute.get(r.name))}
      </tr>`)}</tbody>
    </table>`;
}

function Clusters(props: { revision: number; traffic: Traffic | undefined; health: HealthAnswer | undefined }) {
  const { data, error } = useFetch<ResourceList>('/v1/clusters', props.revision);
  if (error !== undefined) return html`<p class="error" role="alert">${error.message}</p>`;
  const byCluster = new Map((props.traffic?.clusters ?? []).map((c) => [c.cluster, c]));
  const unhealthy = (name: string): string => {
    const eps = (props.health?.endpoints ?? []).filter((e) => e.cluster === name);
    return eps.length === 0 ? 'no verdicts' : `${eps.filter((e) => e.health !== 'HEALTHY').length} of ${eps.length} not healthy`;
  };
  return html`
    <table aria-label="Clusters">
      <thead><tr><th scope="col">Cluster</th><th scope="col">Static endpoints</th><th scope="col">Health</th><th scope="col">req/s</th><th scope="col">errors</th><th scope="col">p99</th></tr></thead>
      <tbody>${(data?.resources ?? []).map((c) => html`<tr key=${c.name}>
        <td>${c.name}</td><td>${((c['endpoints'] as unknown[] | undefined) ?? []).length}</td><td>${unhealthy(c.name)}</td>${figures(byCluster.get(c.name))}
      </tr>`)}</tbody>
    </table>`;
}

function Endpoints(props: { health: HealthAnswer | undefined; error: Error | undefined }) {
  if (props.error !== undefined) return html`<p class="error" role="alert">${props.error.message}</p>`;
  const eps = props.health?.endpoints ?? [];
  if (eps.length === 0) return html`<p class="muted">No health verdicts: no proxy runs an active health check.</p>`;
  return html`
    <table aria-label="Endpoint health">
      <thead><tr><th scope="col">Cluster</th><th scope="col">Endpoint</th><th scope="col">Health</th><th scope="col">Since</th></tr></thead>
      <tbody>${eps.map((e) => html`<tr key=${`${e.cluster}/${e.address}:${e.port}`}>
        <td>${e.cluster}</td><td>${e.address}:${e.port}</td><td class=${e.health === 'HEALTHY' ? 'good' : 'bad'}>${e.health}</td><td>${e.since ?? '—'}</td>
      </tr>`)}</tbody>
    </table>`;
}

function MeshTraffic(props: { traffic: Traffic }) {
  const t = props.traffic;
  return html`
    <p>Last ${t.windowSeconds} s from ${t.proxiesReporting} proxies: ${rate(t.mesh.rps)} req/s, ${percent(t.mesh.errorRate)} errors, p50 ${ms(t.mesh.p50Ms)}, p99 ${ms(t.mesh.p99Ms)}.</p>
    <${TimeChart} title="Mesh requests per second and p99 latency" times=${t.series.map((s) => s.t)}
      series=${[
        { label: 'req/s', values: t.series.map((s) => s.rps), color: '#2a7ab0', scale: 'rps' },
        { label: 'p99 ms', values: t.series.map((s) => s.p99Ms), color: '#b0402a', scale: 'ms' },
      ]}
      summary=${`${t.series.length} points.`} />
    <h3>Service to service</h3>
    <${ServiceGraph} edges=${t.edges} />`;
}

export function ServicesPage() {
  const state = useLive();
  const fetched = useFetch<Traffic>('/v1/traffic');
  const health = useFetch<HealthAnswer>('/v1/health', state.revision);
  const traffic = state.traffic ?? fetched.data;
  const unavailable = state.traffic === undefined && statusOf(fetched.error) === 404;
  return html`
    <h1>Services</h1>
    <section aria-labelledby="sv-traffic">
      <h2 id="sv-traffic">Traffic</h2>
      ${unavailable ? html`<p class="muted">traffic not available</p>`
        : traffic !== undefined ? html`<${MeshTraffic} traffic=${traffic} />`
        : fetched.error !== undefined ? html`<p class="error" role="alert">${fetched.error.message}</p>`
        : html`<p role="status">Loading…</p>`}
    </section>
    <section aria-labelledby="sv-routes"><h2 id="sv-routes">Routes</h2><${Routes} revision=${state.revision} traffic=${traffic} /></section>
    <section aria-labelledby="sv-clusters"><h2 id="sv-clusters">Clusters</h2><${Clusters} revision=${state.revision} traffic=${traffic} health=${health.data} /></section>
    <section aria-labelledby="sv-endpoints"><h2 id="sv-endpoints">Endpoints</h2><${Endpoints} health=${health.data} error=${health.error} /></section>`;
}
