// `sluice proxy --workers 2` under traffic over several routes and statuses.
// One /metrics on the primary's admin port sums both workers, and its counters equal the requests
// sent, per route, cluster and status class; /clusters counts the endpoint's requests; the access log
// has exactly one JSON line per request with its fields, secrets redacted; sampling at 0.5 logs
// about half.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { readExample } from '../../support/examples.js';
import { freePort } from '../../support/free-port.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { until } from '../../support/until.js';

function config(upstreamPort: number, listenPort: number, extra = ''): string {
  return `${extra}
kind: Cluster
name: backend
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
# The upstream answers 503 on purpose: five in a row on one worker would eject it (outlier detection
# is on by default) and /clusters would show it unhealthy, which is not what this test is about.
outlierDetection: {disabled: true}
---
kind: Route
name: api
hosts: ["*"]
match: {pathPrefix: /api/}
forward: {cluster: backend}
---
kind: Route
name: static
hosts: ["*"]
match: {pathPrefix: /static/}
respond: {status: 200, body: static}
---
kind: Route
name: old
hosts: ["*"]
match: {pathPrefix: /old/}
redirect: {pathPrefix: /new/, status: 301}
---
kind: Listener
name: public
address: 127.0.0.1
port: ${listenPort}
`;
}

/** Path → requests to send; the upstream answers /api/ok 200, /api/missing 404, /api/fail 503. */
const PLAN: ReadonlyArray<readonly [string, number]> = [
  ['/api/ok', 30],
  ['/api/missing', 10],
  ['/api/fail', 7],
  ['/static/a', 12],
  ['/old/b', 5],
  ['/nowhere', 4],
];

/** The value of one sample line of a Prometheus page (0 when absent). */
function sample(page: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of page.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (have.length === want.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

async function waitForLines(file: string, atLeast: number, settleMs = 300): Promise<string[]> {
  const read = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  // Fewer lines than awaited is for the caller's assertion to report, with the lines there are.
  await until(`${atLeast} access-log lines`, () => read().length >= atLeast, 10_000).catch(() => undefined);
  // Anything beyond `atLeast` would be a bug: give it time to show.
  await new Promise((r) => setTimeout(r, settleMs));
  return read();
}

test('two workers: /metrics counters add up to the requests sent; one access-log line per request', { timeout: 60_000 }, async (t) => {
  const upstream = await startUpstream((req, res) => {
    res.statusCode = req.url === '/api/ok' || req.url?.startsWith('/api/ok?') ? 200 : req.url === '/api/missing' ? 404 : 503;
    res.end('x'.repeat(10));
  });
  t.after(() => upstream.close());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'access.log');
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  // A certificate rides along, for /config_dump's redaction.
  const certificate = readExample('protocols.yaml').split(/^---$/m).find((doc) => /^kind: Certificate$/m.test(doc) && /privateKey/.test(doc))!;
  const privateKeyLine = /-----BEGIN PRIVATE KEY-----\n\s*(\S+)/.exec(certificate)![1]!;
  const proxy = await startProxyProcess(config(upstream.port, listenPort, `${certificate.trim()}\n---`), ['--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--access-log', logFile]);
  t.after(() => proxy.stop());

  // Eight clients at once, each request on a new connection (the primary spreads connections over
  // both workers), with a scrape in the middle of the traffic.
  const queue = PLAN.flatMap(([path, n]) => Array.from({ length: n }, () => path));
  let sent = 0;
  let midScrape = '';
  await Promise.all(
    Array.from({ length: 8 }, async (_, client) => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
        const res = await request(`http://127.0.0.1:${listenPort}${path}`, { reset: true, headers: { 'user-agent': 'metrics-test/1' } });
        await res.body.text();
        sent++;
        if (client === 0 && sent >= 30 && midScrape === '') midScrape = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
      }
    }),
  );
  assert.match(midScrape, /^sluice_proxy_requests_total\{/m, 'a scrape during traffic answers');
  // One request with secrets in the places they turn up: headers and the query string.
  const marked = await request(`http://127.0.0.1:${listenPort}/api/ok?token=hunter2&page=3`, {
    reset: true,
    method: 'POST',
    body: 'seven b',
    headers: { 'x-request-id': 'req-marked-1', 'user-agent': 'marker/2', authorization: 'Bearer hunter2', cookie: 'session=hunter2' },
  });
  assert.equal(marked.statusCode, 200);
  await marked.body.text();
  sent++;

  const page = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
  const requests = (route: string, cluster: string, statusClass: string): number => sample(page, 'sluice_proxy_requests_total', { route, cluster, status_class: statusClass });
  assert.equal(requests('api', 'backend', '2xx'), 31, page);
  assert.equal(requests('api', 'backend', '4xx'), 10);
  assert.equal(requests('api', 'backend', '5xx'), 7);
  assert.equal(requests('static', '', '2xx'), 12);
  assert.equal(requests('old', '', '3xx'), 5);
  assert.equal(requests('', '', '4xx'), 4);
  const total = [...page.matchAll(/^sluice_proxy_requests_total\{.*\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
  assert.equal(total, sent);
  // Each worker registers its series once: the primary's page has one line per series, summed.
  assert.equal(page.match(/^sluice_proxy_requests_total\{route="api",cluster="backend",status_class="2xx"\}/gm)?.length, 1);
  assert.equal(sample(page, 'sluice_proxy_request_duration_seconds_count', { route: 'api', cluster: 'backend' }), 48);
  assert.equal(sample(page, 'sluice_proxy_request_duration_seconds_bucket', { route: 'api', cluster: 'backend', le: '+Inf' }), 48);
  assert.equal(sample(page, 'sluice_proxy_upstream_duration_seconds_count', { route: 'api', cluster: 'backend' }), 48);
  // Every upstream request took a connection from the pool or opened one.
  const upstreamNew = sample(page, 'sluice_proxy_upstream_connections_total', { cluster: 'backend', kind: 'new' });
  const upstreamReused = sample(page, 'sluice_proxy_upstream_connections_total', { cluster: 'backend', kind: 'reused' });
  assert.equal(upstreamNew + upstreamReused, 48);
  assert.ok(upstreamReused > 0, 'keep-alive connections to the upstream are reused');
  assert.equal(sample(page, 'sluice_proxy_retries_total', { route: 'api', cluster: 'backend' }), 0);
  assert.equal(sample(page, 'sluice_proxy_config_revision', {}), 1);
  assert.equal(sample(page, 'sluice_proxy_config_nacks_total', {}), 0);
  assert.equal(sample(page, 'sluice_proxy_config_updates_total', { result: 'applied' }), 1);
  assert.match(page, /^sluice_proxy_downstream_connections_active \d+$/m);
  assert.equal(sample(page, 'sluice_proxy_errors_total', { code: 'SLUICE_PROXY_NO_ROUTE' }), 4);
  // The event loop delay: one series per quantile (the worst worker's, not a sum), in order.
  const loop = ['0.5', '0.99', '1'].map((quantile) => {
    assert.equal(page.match(new RegExp(`^sluice_proxy_event_loop_delay_seconds\\{quantile="${quantile}"\\} `, 'gm'))?.length, 1, page);
    return sample(page, 'sluice_proxy_event_loop_delay_seconds', { quantile });
  });
  assert.ok(loop[0]! >= 0 && loop[0]! <= loop[1]! && loop[1]! <= loop[2]!, `event loop delay quantiles ${loop}`);

  const clusters = (await (await request(`http://127.0.0.1:${adminPort}/clusters`)).body.json()) as {
    clusters: Array<{ name: string; endpoints: Array<{ port: number; healthy: boolean; requests: number; active: number; pool: { created: number; reused: number } }> }>;
  };
  const backend = clusters.clusters.find((c) => c.name === 'backend')!;
  assert.equal(backend.endpoints.length, 1);
  const [endpoint] = backend.endpoints;
  assert.equal(endpoint!.port, upstream.port);
  assert.equal(endpoint!.healthy, true);
  assert.equal(endpoint!.requests, 48);
  assert.equal(endpoint!.pool.created + endpoint!.pool.reused, 48);

  const dump = await (await request(`http://127.0.0.1:${adminPort}/config_dump`)).body.text();
  assert.match(dump, /"kind": "Certificate"/);
  assert.ok(!dump.includes(privateKeyLine) && !dump.includes('BEGIN PRIVATE KEY'), 'no private key in /config_dump');

  const lines = (await waitForLines(logFile, sent)).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, sent);
  assert.equal(new Set(lines.map((l) => l['requestId'])).size, sent, 'one line per request');
  assert.equal(new Set(lines.map((l) => l['pid'])).size, 2, 'both workers served and logged');
  for (const [path, n] of PLAN) assert.equal(lines.filter((l) => l['path'] === path).length, n, path);
  const line = lines.find((l) => l['requestId'] === 'req-marked-1')!;
  assert.equal(line['type'], 'access');
  assert.equal(line['method'], 'POST');
  assert.equal(line['path'], '/api/ok?token=[redacted]&page=3');
  assert.equal(line['route'], 'api');
  assert.equal(line['cluster'], 'backend');
  assert.equal(line['endpoint'], `127.0.0.1:${upstream.port}`);
  assert.equal(line['status'], 200);
  assert.equal(line['bytesIn'], 7);
  assert.equal(line['bytesOut'], 10);
  assert.equal(line['userAgent'], 'marker/2');
  assert.equal(typeof line['durationMs'], 'number');
  assert.equal(typeof line['upstreamMs'], 'number');
  assert.ok((line['upstreamMs'] as number) <= (line['durationMs'] as number));
  const unrouted = lines.find((l) => l['path'] === '/nowhere')!;
  assert.equal(unrouted['status'], 404);
  assert.equal(unrouted['route'], null);
  assert.equal(unrouted['error'], 'SLUICE_PROXY_NO_ROUTE');
  assert.doesNotMatch(readFileSync(logFile, 'utf8'), /hunter2/);
});

test('--access-log-sample-rate 0.5 logs about half of the requests; the metrics still count all', { timeout: 60_000 }, async (t) => {
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sampling-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'access.log');
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(config(upstream.port, listenPort), [
    '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--access-log', logFile, '--access-log-sample-rate', '0.5',
  ]);
  t.after(() => proxy.stop());
  const N = 400;
  for (let i = 0; i < N; i++) {
    const res = await request(`http://127.0.0.1:${listenPort}/api/ok`);
    await res.body.text();
  }
  const page = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
  assert.equal(sample(page, 'sluice_proxy_requests_total', { route: 'api', cluster: 'backend', status_class: '2xx' }), N);
  // Binomial(400, 0.5): standard deviation 10, so 140..260 is six of them either side.
  const lines = await waitForLines(logFile, 140, 1000);
  assert.ok(lines.length >= 140 && lines.length <= 260, `${lines.length} of ${N} logged`);
});
