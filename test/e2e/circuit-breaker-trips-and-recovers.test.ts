// End to end, as an operator runs it: a real `sluice proxy --config` with two workers in front of a
// slow upstream, cluster circuitBreakers.maxRequests N. 3N concurrent requests: the ones over the
// limit are answered 503 at once with `x-sluice-overloaded: max_requests`, at most N reach the
// upstream and succeed; once they finish, every request succeeds again, the trips are in /metrics
// and the breaker's in-use gauge is back to 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request as httpRequest, type ServerResponse } from 'node:http';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../data-plane/helpers/config-yaml.js';
import { startUpstream } from '../data-plane/helpers/fake-upstream.js';
import { startProxyProcess } from '../data-plane/helpers/proxy-process.js';
import { freePort } from '../support/free-port.js';
import { until } from '../support/until.js';

const N = 4;
const WORKERS = 2;

interface Answer {
  readonly status: number;
  readonly overloaded: string | undefined;
  readonly body: string;
}

/** One request on its own connection (agent: false), so the workers share them out. */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, overloaded: res.headers['x-sluice-overloaded'] as string | undefined, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metricsPage(adminPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  return res.text();
}

function sample(page: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of page.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return 0;
}

test('a circuit breaker trips under 3N concurrent requests and recovers once they finish', async (t) => {
  const held: ServerResponse[] = [];
  let holding = true;
  const upstream = await startUpstream((_req, res) => (holding ? held.push(res) : res.end('ok')));
  t.after(() => upstream.close());
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(
    yamlDocs(
      clusterYaml('slow', [upstream.port], `circuitBreakers: {maxRequests: ${N}}`),
      catchAllRouteYaml('all', 'slow'),
      listenerYaml('public', listenPort),
    ),
    ['--workers', String(WORKERS), '--admin-listen', `127.0.0.1:${adminPort}`],
  );
  t.after(() => proxy.stop());

  const started = performance.now();
  const pending = Array.from({ length: 3 * N }, (_, i) => get(listenPort, `/burst/${i}`));
  // Refusals come back at once; the admitted requests wait at the upstream.
  const settled: Answer[] = [];
  for (const p of pending) void p.then((a) => settled.push(a));
  // The assertions below name what is missing if not every request has come back or arrived by then.
  await until('every request refused or at the upstream', () => settled.length + held.length >= 3 * N, 15_000, 20).catch(() => undefined);
  const refusedMs = performance.now() - started;
  const admitted = held.length;
  t.diagnostic(`${3 * N} concurrent, maxRequests ${N} over ${WORKERS} workers: ${admitted} admitted, ${settled.length} refused within ${refusedMs.toFixed(0)} ms`);
  assert.equal(settled.length + admitted, 3 * N, 'every request was either refused or reached the upstream');
  assert.ok(admitted >= 1 && admitted <= N, `at most N (${N}) requests in flight over the whole proxy, saw ${admitted}`);
  for (const a of settled) {
    assert.equal(a.status, 503);
    assert.equal(a.overloaded, 'max_requests');
  }

  // Let the admitted ones finish: they succeed.
  holding = false;
  for (const r of held.splice(0)) r.end('ok');
  const answers = await Promise.all(pending);
  assert.equal(answers.filter((a) => a.status === 200).length, admitted);
  assert.equal(answers.filter((a) => a.status === 503 && a.overloaded === 'max_requests').length, 3 * N - admitted);

  // Recovered: N at a time, every request succeeds.
  for (let round = 0; round < 5; round++) {
    const batch = await Promise.all(Array.from({ length: N / WORKERS }, (_, i) => get(listenPort, `/after/${round}/${i}`)));
    for (const a of batch) assert.deepEqual([a.status, a.overloaded, a.body], [200, undefined, 'ok']);
  }

  const page = await metricsPage(adminPort);
  assert.equal(sample(page, 'sluice_proxy_circuit_breaker_trips_total', { cluster: 'slow', limit: 'max_requests' }), 3 * N - admitted);
  assert.equal(sample(page, 'sluice_proxy_circuit_breaker_in_use', { cluster: 'slow', resource: 'requests' }), 0);
  assert.equal(sample(page, 'sluice_proxy_errors_total', { code: 'SLUICE_PROXY_OVERLOADED' }), 3 * N - admitted);
});
