// Every metric the Grafana dashboards query is one Sluice exports: a real `sluice control-plane` and a
// real `sluice proxy --workers 2` following it serve traffic (answers, failures with retries, timeouts,
// a request no route takes) and a configuration change, both /metrics pages are scraped, and every
// metric name in every panel's and variable's PromQL must be on one of them. The names are taken from
// the queries without a PromQL parser (support/promql-metric-names.ts); the checks on made-up queries
// below show it reports what it must.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { httpAnswer } from '../support/http-answer.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { tokenDir, type TokenDir } from '../support/token-file.js';
import { until } from '../support/until.js';
import { sampleValue } from '../discovery/support/metrics-page.js';
import { exportedMetricNames, sampledMetricNames } from './support/exported-metric-names.js';
import { dashboardFiles, dashboardQueries, unexportedMetrics } from './support/grafana-dashboards.js';
import { metricNamesOf, variableMetricNamesOf } from './support/promql-metric-names.js';

test('metric names are read out of PromQL: not functions, keywords, labels, variables, strings or durations', () => {
  const table: Array<[string, string[]]> = [
    ['histogram_quantile(0.99, sum by (le, route) (rate(sluice_proxy_request_duration_seconds_bucket{cluster="$cluster",route=~"$route"}[$__rate_interval])))', ['sluice_proxy_request_duration_seconds_bucket']],
    ['1 - (sum(rate(a_total{status_class="5xx"}[5m])) or vector(0)) / sum(rate(a_total[5m] offset 1h))', ['a_total']],
    ['sum(x) by (le) * on(instance) group_left(pod) kube_pod_info', ['x', 'kube_pod_info']],
    ['topk(10, sum without (code) (increase(b_total{code!~"2.."}[1h:5m]))) > 0', ['b_total']],
    ['max(c) - min(d) and ignoring (job) e unless f', ['c', 'd', 'e', 'f']],
    ['label_replace(g, "dst", "$1", "src", "(.*)")', ['g']],
  ];
  for (const [expr, names] of table) assert.deepEqual(metricNamesOf(expr), names, expr);
  assert.deepEqual(variableMetricNamesOf('label_values(sluice_proxy_requests_total{cluster="$cluster"}, route)'), ['sluice_proxy_requests_total']);
  assert.deepEqual(variableMetricNamesOf('label_values(route)'), []);
  assert.deepEqual(variableMetricNamesOf('query_result(topk(5, h))'), ['h']);
});

test('a metric no page exports is reported with its dashboard and panel; histogram series are known by their suffixes', () => {
  const page = [
    '# HELP sluice_proxy_requests_total Requests.',
    '# TYPE sluice_proxy_requests_total counter',
    '# TYPE sluice_proxy_request_duration_seconds histogram',
    '# TYPE sluice_proxy_timeouts_total counter',
    'sluice_proxy_requests_total{route="a",cluster="b",status_class="2xx"} 3',
  ].join('\n');
  const made = [{
    file: 'made-up.json',
    dashboard: {
      title: 'Made up',
      panels: [
        { title: 'Real', targets: [{ expr: 'sum(rate(sluice_proxy_requests_total[5m])) + sum(rate(sluice_proxy_timeouts_total[5m]))' }] },
        { title: 'Latency', targets: [{ expr: 'histogram_quantile(0.9, sum by (le) (rate(sluice_proxy_request_duration_seconds_bucket[5m])))' }] },
        { title: 'Row', panels: [{ title: 'Bogus', targets: [{ expr: 'rate(sluice_proxy_made_up_total[5m])' }] }] },
        { title: 'Counter as histogram', targets: [{ expr: 'sluice_proxy_requests_total_bucket' }] },
      ],
      templating: { list: [{ name: 'x', type: 'query', query: { query: 'label_values(sluice_proxy_typo_total, x)' } }] },
    },
  }];
  assert.deepEqual(unexportedMetrics(made, exportedMetricNames(page)), [
    'Made up: panel "Bogus" queries sluice_proxy_made_up_total, which no scraped page exports',
    'Made up: panel "Counter as histogram" queries sluice_proxy_requests_total_bucket, which no scraped page exports',
    'Made up: variable $x queries sluice_proxy_typo_total, which no scraped page exports',
  ]);
});

let tokens: TokenDir;
let upstream: Server;
const held: ServerResponse[] = [];
let controlPlane: SluiceProcess | undefined;
let proxy: SluiceProcess | undefined;
let apiUrl = '';
let proxyAdminPort = 0;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function apply(yaml: string): Promise<void> {
  const res = await fetch(`${apiUrl}/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${tokens.token}`, 'content-type': 'application/yaml' }, body: yaml });
  assert.equal(res.status, 200, await res.text());
}

const scrape = async (url: string): Promise<string> => (await fetch(url)).text();

before(async () => {
  tokens = tokenDir('sluice-dashboards-');
  upstream = createServer((req, res) => {
    if (req.url?.startsWith('/slow/') === true) held.push(res); // never answered: the route times out
    else res.writeHead(req.url?.includes('fail') === true ? 503 : 200).end('x');
  });
  const upstreamPort = await listen(upstream);
  controlPlane = new SluiceProcess(['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--token-file', tokens.tokenFile]);
  await controlPlane.waitFor(/"msg":"control plane ready"/);
  apiUrl = /"api":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(controlPlane.stdout)![1]!;
  const discovery = /"discovery":"(127\.0\.0\.1:\d+)"/.exec(controlPlane.stdout)![1]!;
  // A listener shared by two workers needs its port before the proxy starts: the primary does not print it.
  const listenerPort = await freePort();
  await apply(`kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
outlierDetection: {disabled: true}
---
kind: Route
name: web
hosts: ["*"]
match: {pathPrefix: /web/}
forward: {cluster: web}
retry: {attempts: 2, on: [GATEWAY_ERROR]}
---
kind: Route
name: slow
hosts: ["*"]
match: {pathPrefix: /slow/}
forward: {cluster: web}
timeoutMs: 200
---
kind: Listener
name: public
address: 127.0.0.1
port: ${listenerPort}
`);
  proxy = new SluiceProcess(['proxy', '--control-plane', discovery, '--token-file', tokens.tokenFile, '--node-id', 'dashboards', '--workers', '2',
    '--admin-listen', '127.0.0.1:0', '--state-dir', join(tokens.dir, 'state')]);
  proxyAdminPort = Number((await proxy.waitFor(/admin on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
  await proxy.waitFor(/sluice proxy: ready/);
  await until('traffic through the proxy', async () => (await httpAnswer(listenerPort, '/web/ok'))?.status === 200, 15_000);

  for (let i = 0; i < 10; i++) assert.equal((await httpAnswer(listenerPort, `/web/ok/${i}`))?.status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await httpAnswer(listenerPort, `/web/fail/${i}`))?.status, 503);
  for (let i = 0; i < 2; i++) assert.equal((await httpAnswer(listenerPort, `/slow/${i}`))?.status, 504);
  assert.equal((await httpAnswer(listenerPort, '/nowhere'))?.status, 404);
  // A change the proxy ACKs, for the propagation histogram.
  await apply('kind: Route\nname: later\nhosts: ["*"]\nmatch: {pathPrefix: /later/}\nforward: {cluster: web}\n');
  await until('the change propagated', async () => sampleValue(await scrape(`${apiUrl}/metrics`), 'sluice_discovery_propagation_seconds_count') >= 1, 15_000);
});

after(async () => {
  for (const res of held) res.destroy();
  await proxy?.stop();
  await controlPlane?.stop();
  upstream?.close();
  rmSync(tokens.dir, { recursive: true, force: true });
});

test('every metric every dashboard queries is on the control plane\'s or the proxy\'s /metrics', async (t) => {
  const pages = [await scrape(`${apiUrl}/metrics`), await scrape(`http://127.0.0.1:${proxyAdminPort}/metrics`)];
  const exported = new Set(pages.flatMap((p) => [...exportedMetricNames(p)]));
  const sampled = new Set(pages.flatMap((p) => [...sampledMetricNames(p)]));
  // The traffic shows: these are the pages of the processes that served it.
  for (const name of ['sluice_proxy_requests_total', 'sluice_proxy_request_duration_seconds_bucket', 'sluice_proxy_retries_total', 'sluice_proxy_timeouts_total',
    'sluice_proxy_errors_total', 'sluice_discovery_propagation_seconds_bucket', 'sluice_discovery_connected_proxies']) {
    assert.ok(sampled.has(name), `${name} has no sample after the traffic`);
  }

  const files = dashboardFiles();
  for (const { file, dashboard } of files) {
    const queried = new Set(dashboardQueries(dashboard).flatMap((q) => q.metrics));
    assert.ok(queried.size >= 5, `${file}: only ${queried.size} metric names found in its queries: the extraction is broken`);
    const unsampled = [...queried].filter((m) => !sampled.has(m));
    if (unsampled.length > 0) t.diagnostic(`${dashboard.title}: exported, no sample in this run: ${unsampled.join(', ')}`);
  }
  assert.deepEqual(unexportedMetrics(files, exported), []);
});
