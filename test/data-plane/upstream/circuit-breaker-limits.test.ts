// Circuit breakers through a real MeshProxy and real sockets: max_requests, max_pending_requests and
// max_connections answer 503 naming the limit; a retry refused by max_retries or the retry budget
// gives the client the upstream's own failure; and every counter is back to 0 afterwards, whether
// requests succeeded, failed, timed out or were abandoned by the client.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh, type MeshFixture } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { until } from '../../support/until.js';

/** The breaker's in-use gauge and the two counters, read from the proxy's own metrics. */
async function breakerMetrics(mesh: MeshFixture, cluster: string): Promise<{ inUse: Record<string, number>; trips: Record<string, number>; refused: Record<string, number> }> {
  const json = await mesh.mesh.metrics.json();
  const pick = (name: string, label: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const v of json.find((m) => m.name === name)?.values ?? []) if (v.labels['cluster'] === cluster) out[String(v.labels[label])] = v.value;
    return out;
  };
  return { inUse: pick('sluice_proxy_circuit_breaker_in_use', 'resource'), trips: pick('sluice_proxy_circuit_breaker_trips_total', 'limit'), refused: pick('sluice_proxy_retries_refused_total', 'limit') };
}

async function assertIdle(mesh: MeshFixture, cluster: string, connections?: number): Promise<void> {
  await until('breaker counters back to 0', async () => {
    const { inUse } = await breakerMetrics(mesh, cluster);
    return inUse['requests'] === 0 && inUse['pending'] === 0 && inUse['retries'] === 0 && (connections === undefined || inUse['connections'] === connections);
  }, 5_000, 10);
}

/** An upstream that holds every response until `release()`. */
async function heldUpstream(t: TestContext) {
  const held: ServerResponse[] = [];
  const up = await startUpstream((_req, res) => held.push(res));
  t.after(() => up.close());
  return { up, held, release: () => held.splice(0).forEach((r) => r.end('ok')) };
}

async function get(url: string): Promise<{ status: number; overloaded: string | undefined; error: string | undefined; body: string }> {
  const res = await request(url);
  const body = await res.body.text();
  return { status: res.statusCode, overloaded: res.headers['x-sluice-overloaded'] as string | undefined, error: res.headers['x-sluice-error'] as string | undefined, body };
}

test('max_requests: requests over the limit get 503 overloaded at once; the held ones succeed', async (t) => {
  const { up, held, release } = await heldUpstream(t);
  const mesh = await startMesh(yamlDocs(
    clusterYaml('slow', ['{{up}}'], 'circuitBreakers: {maxRequests: 2}'),
    catchAllRouteYaml('all', 'slow'),
  ), { up: up.port });
  t.after(() => mesh.close());
  const first = [get(mesh.url('/1')), get(mesh.url('/2'))];
  await until('two requests at the upstream', () => held.length === 2, 5_000, 10);
  const refused = await Promise.all([3, 4, 5, 6].map((i) => get(mesh.url(`/${i}`))));
  for (const r of refused) {
    assert.equal(r.status, 503);
    assert.equal(r.overloaded, 'max_requests');
    assert.equal(r.error, 'overloaded');
  }
  release();
  for (const r of await Promise.all(first)) assert.equal(r.status, 200);
  const again = get(mesh.url('/again'));
  await until('a slot is free again', () => held.length === 1, 5_000, 10);
  release();
  assert.equal((await again).status, 200);
  const m = await breakerMetrics(mesh, 'slow');
  assert.equal(m.trips['max_requests'], 4);
  await assertIdle(mesh, 'slow');
});

test('max_connections: a request that needs one more connection than allowed gets 503 max_connections', async (t) => {
  const { up, held, release } = await heldUpstream(t);
  const mesh = await startMesh(yamlDocs(
    clusterYaml('slow', ['{{up}}'], 'circuitBreakers: {maxConnections: 2}'),
    catchAllRouteYaml('all', 'slow'),
  ), { up: up.port });
  t.after(() => mesh.close());
  const first = [get(mesh.url('/1')), get(mesh.url('/2'))];
  await until('two requests at the upstream', () => held.length === 2, 5_000, 10);
  const r = await get(mesh.url('/3'));
  assert.equal(r.status, 503);
  assert.equal(r.overloaded, 'max_connections');
  release();
  for (const x of await Promise.all(first)) assert.equal(x.status, 200);
  // The two connections are pooled now: more requests reuse them without tripping.
  for (let i = 0; i < 5; i++) {
    const p = get(mesh.url(`/seq${i}`));
    await until('request held', () => held.length === 1, 5_000, 10);
    release();
    assert.equal((await p).status, 200);
  }
  assert.equal((await breakerMetrics(mesh, 'slow')).trips['max_connections'], 1);
  await assertIdle(mesh, 'slow', 2);
});

test('max_pending_requests: requests waiting for a connection beyond the limit get 503 max_pending_requests', async (t) => {
  // A TCP server that never answers the TLS handshake: connects stay pending until the connect timeout.
  const sockets = new Set<Socket>();
  const silent = createNetServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const mesh = await startMesh(`
kind: Cluster
name: stuck
connectTimeoutMs: 1500
tls: {insecureSkipVerify: true}
endpoints: [{address: 127.0.0.1, port: {{port}}}]
circuitBreakers: {maxPendingRequests: 2}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: stuck}
`, { port: (silent.address() as AddressInfo).port });
  t.after(() => mesh.close());
  const waiting = [get(mesh.url('/1')), get(mesh.url('/2'))];
  await until('two connects under way', () => sockets.size === 2, 5_000, 10);
  const refused = await Promise.all([3, 4, 5].map((i) => get(mesh.url(`/${i}`))));
  for (const r of refused) {
    assert.equal(r.status, 503);
    assert.equal(r.overloaded, 'max_pending_requests');
  }
  for (const r of await Promise.all(waiting)) assert.equal(r.status, 504, 'the pending ones end with the connect timeout');
  assert.equal((await breakerMetrics(mesh, 'stuck')).trips['max_pending_requests'], 3);
  await assertIdle(mesh, 'stuck', 0);
});

for (const [label, breakers, limit] of [
  ['the retry budget (floor of 3 concurrent retries)', '{retryBudgetPercent: 10, maxRetries: 100}', 'retry_budget'],
  ['max_retries', '{maxRetries: 3}', 'max_retries'],
] as const) {
  test(`retries refused by ${label}: the client gets the upstream's own 503, and the refusals are counted`, async (t) => {
    // Every answer is a 503 after 300 ms, so the first tries of all requests fail together.
    const up = await startUpstream((_req, res) => setTimeout(() => res.writeHead(503).end('upstream says no'), 300));
    t.after(() => up.close());
    const mesh = await startMesh(yamlDocs(
      clusterYaml('failing', ['{{up}}'], `circuitBreakers: ${breakers}`),
      catchAllRouteYaml('all', 'failing', 'retry: {attempts: 1, on: [GATEWAY_ERROR], backoffBaseMs: 1}'),
    ), { up: up.port });
    t.after(() => mesh.close());
    const N = 10;
    const results = await Promise.all(Array.from({ length: N }, (_, i) => get(mesh.url(`/${i}`))));
    for (const r of results) {
      assert.equal(r.status, 503);
      assert.equal(r.body, 'upstream says no', 'the original failure, not a new 503');
      assert.equal(r.overloaded, undefined);
    }
    const m = await breakerMetrics(mesh, 'failing');
    const refused = m.refused[limit] ?? 0;
    const retried = up.seen.length - N;
    t.diagnostic(`${limit}: ${retried} retries sent, ${refused} refused`);
    assert.equal(retried + refused, N, 'every request retried once or had its retry refused');
    assert.ok(refused >= N - 3 - 2 && retried >= 3, `about 3 retries at once (sent ${retried}, refused ${refused})`);
    await assertIdle(mesh, 'failing');
  });
}

test('counters go back to 0 after timeouts, client aborts, connect failures and retries', async (t) => {
  const { up, held } = await heldUpstream(t);
  const mesh = await startMesh(`
kind: Cluster
name: slow
endpoints: [{address: 127.0.0.1, port: {{up}}}]
circuitBreakers: {maxRequests: 50}
---
kind: Route
name: timed
hosts: ["*"]
match: {pathPrefix: /timeout}
timeoutMs: 100
forward: {cluster: slow}
---
kind: Route
name: retried
hosts: ["*"]
match: {pathPrefix: /retry}
retry: {attempts: 2, on: [GATEWAY_ERROR], perTryTimeoutMs: 50, backoffBaseMs: 1}
forward: {cluster: slow}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: slow}
`, { up: up.port });
  t.after(() => mesh.close());
  // Route timeout.
  const timedOut = await Promise.all([1, 2, 3].map(() => get(mesh.url('/timeout'))));
  for (const r of timedOut) assert.equal(r.status, 504);
  // Per-try timeouts retried, then given up.
  const retried = await Promise.all([1, 2, 3].map(() => get(mesh.url('/retry'))));
  for (const r of retried) assert.equal(r.status, 504);
  // Clients that go away mid-request.
  const before = held.length;
  const aborts = [1, 2, 3].map(() => {
    const ac = new AbortController();
    const p = request(mesh.url('/abandoned'), { signal: ac.signal }).catch(() => undefined);
    return { ac, p };
  });
  await until('abandoned requests at the upstream', () => held.length >= before + 3, 5_000, 10);
  assert.equal((await breakerMetrics(mesh, 'slow')).inUse['requests'], 3);
  for (const a of aborts) a.ac.abort();
  await Promise.all(aborts.map((a) => a.p));
  await assertIdle(mesh, 'slow');
  // A connect failure once the upstream is gone.
  await up.close();
  assert.equal((await get(mesh.url('/gone'))).status, 503);
  await assertIdle(mesh, 'slow', 0);
});

test('counters survive a configuration update that changes the limits', async (t) => {
  const { up, held, release } = await heldUpstream(t);
  const yaml = (max: number): string => yamlDocs(
    clusterYaml('slow', [up.port], `circuitBreakers: {maxRequests: ${max}}`),
    catchAllRouteYaml('all', 'slow'),
  );
  const mesh = await startMesh(yaml(3));
  t.after(() => mesh.close());
  const first = [1, 2, 3].map((i) => get(mesh.url(`/${i}`)));
  await until('three requests at the upstream', () => held.length === 3, 5_000, 10);
  const { parseConfigText } = await import('../../../data-plane/src/cli/load-proxy-config.js');
  const parsed = parseConfigText(yaml(4) + '\n---\nkind: Listener\nname: main\naddress: 127.0.0.1\nport: 0\n', 'yaml');
  assert.ok(parsed.ok);
  const applied = await mesh.mesh.applyResources(parsed.config.resources);
  assert.ok(applied.ok);
  // Three still in flight from before the update: the fourth fits, the fifth does not.
  const fourth = get(mesh.url('/4'));
  await until('fourth at the upstream', () => held.length === 4, 5_000, 10);
  const fifth = await get(mesh.url('/5'));
  assert.equal(fifth.status, 503);
  assert.equal(fifth.overloaded, 'max_requests');
  release();
  for (const r of await Promise.all([...first, fourth])) assert.equal(r.status, 200);
  await assertIdle(mesh, 'slow');
});
