// Through a real MeshProxy and real upstreams: a weight shift keeps the upstream connections (the
// same socket answers before and after) while the balancer follows the new weights; an active-check
// verdict takes an endpoint out without a new snapshot and stays through later snapshots; outlier
// detection sees real 5xx through the proxy hooks, ejects, reports it, and lets the endpoint back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { clusterReports } from '../../../data-plane/src/metrics/cluster-report.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { startUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startMesh, type MeshFixture } from '../helpers/mesh-fixture.js';
import { until } from '../../support/until.js';

/** An upstream that answers `name` and remembers which proxy-side port each request came from. */
async function namedUpstream(name: string, status = () => 200): Promise<FakeUpstream & { remotePorts: number[] }> {
  const remotePorts: number[] = [];
  const up = await startUpstream((req, res) => {
    remotePorts.push(req.socket.remotePort!);
    res.statusCode = status();
    res.end(name);
  });
  return Object.assign(up, { remotePorts });
}

async function get(mesh: MeshFixture, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(mesh.url('/'));
    out.push(await res.body.text());
  }
  return out;
}

const count = (xs: string[], x: string): number => xs.filter((y) => y === x).length;

function config(a: number, b: number, wa: number, wb: number, extra = ''): string {
  return `kind: Cluster
name: app
endpoints: [{address: 127.0.0.1, port: ${a}, weight: ${wa}}, {address: 127.0.0.1, port: ${b}, weight: ${wb}}]
${extra}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: app}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
`;
}

async function reapply(mesh: MeshFixture, yaml: string): Promise<void> {
  const parsed = parseConfigText(yaml.replace(/port: 0\n$/, `port: ${mesh.port()}\n`), 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const r = await mesh.mesh.applyResources(parsed.config.resources);
  assert.ok(r.ok, JSON.stringify(r));
}

test('a weight shift keeps every upstream connection and the balancer follows the new weights', { timeout: 30_000 }, async (t) => {
  const a = await namedUpstream('a');
  const b = await namedUpstream('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const mesh = await startMesh(config(a.port, b.port, 1, 1));
  t.after(() => mesh.close());
  const before = await get(mesh, 20);
  assert.equal(count(before, 'a'), 10);
  const stats = (): number => clusterReports(mesh.mesh.snapshot!.clusters.values(), mesh.mesh.metrics)[0]!.endpoints.reduce((n, e) => n + e.pool.created, 0);
  const created = stats();
  await reapply(mesh, config(a.port, b.port, 3, 1));
  const after = await get(mesh, 40);
  assert.equal(count(after, 'a'), 30, 'smooth weighted round robin over 3:1');
  assert.equal(count(after, 'b'), 10);
  assert.equal(stats(), created, 'no upstream connection opened by the weight shift');
  // Sequential requests: one connection per upstream, the same socket before and after.
  assert.deepEqual(new Set(a.remotePorts).size, 1, `a saw ports ${[...new Set(a.remotePorts)]}`);
  assert.deepEqual(new Set(b.remotePorts).size, 1);
  const reuse = 1 - created / (before.length + after.length);
  t.diagnostic(`upstream connection reuse across the weight shift: ${(reuse * 100).toFixed(1)}% (${created} opened for ${before.length + after.length} requests)`);
});

test('an active-check verdict applies at once, survives later snapshots, and lifts', { timeout: 30_000 }, async (t) => {
  const a = await namedUpstream('a');
  const b = await namedUpstream('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const mesh = await startMesh(config(a.port, b.port, 1, 1));
  t.after(() => mesh.close());
  const version = mesh.mesh.snapshot!.version;
  mesh.mesh.setActiveHealth('app', '127.0.0.1', b.port, Health.UNHEALTHY, 'http 503');
  assert.equal(mesh.mesh.snapshot!.version, version, 'no new snapshot');
  assert.equal(count(await get(mesh, 10), 'b'), 0);
  const report = clusterReports(mesh.mesh.snapshot!.clusters.values(), mesh.mesh.metrics)[0]!.endpoints.find((e) => e.port === b.port)!;
  assert.equal(report.healthy, false);
  assert.equal(report.activeHealth, 'UNHEALTHY');
  assert.equal(report.activeReason, 'http 503');
  // A new snapshot (weights change) keeps the verdict.
  await reapply(mesh, config(a.port, b.port, 1, 5));
  assert.equal(count(await get(mesh, 10), 'b'), 0, 'verdict kept across snapshots');
  mesh.mesh.setActiveHealth('app', '127.0.0.1', b.port, Health.HEALTHY, 'http 200');
  assert.equal(count(await get(mesh, 12), 'b'), 10, 'back with its new weight 5 of 6');
});

test('outlier detection through the proxy: real 500s eject, /clusters and metrics say so, the endpoint comes back', { timeout: 30_000 }, async (t) => {
  let bStatus = 500;
  const a = await namedUpstream('a');
  const b = await namedUpstream('b', () => bStatus);
  t.after(() => Promise.all([a.close(), b.close()]));
  const mesh = await startMesh(config(a.port, b.port, 1, 1, 'outlierDetection: {consecutive5xx: 3, baseEjectionTimeMs: 400, maxEjectionPercent: 50}'));
  t.after(() => mesh.close());
  const first = await get(mesh, 6);
  assert.equal(count(first, 'b'), 3, 'three 500s reach b');
  const ejectedAt = performance.now();
  const during = await get(mesh, 10);
  assert.equal(count(during, 'b'), 0, 'ejected: no more traffic');
  const report = clusterReports(mesh.mesh.snapshot!.clusters.values(), mesh.mesh.metrics)[0]!.endpoints.find((e) => e.port === b.port)!;
  assert.equal(report.ejected, 1);
  assert.equal(report.ejections, 1);
  assert.equal(report.ejectReason, '3 consecutive 5xx');
  assert.equal(report.healthy, false);
  const text = await mesh.mesh.metrics.registry.metrics();
  assert.match(text, /sluice_proxy_outlier_ejections_total\{cluster="app"\} 1/);
  assert.match(text, /sluice_proxy_outlier_ejected_endpoints\{cluster="app"\} 1/);
  bStatus = 200;
  await until('b back from its ejection', () => clusterReports(mesh.mesh.snapshot!.clusters.values(), mesh.mesh.metrics)[0]!.endpoints.find((e) => e.port === b.port)!.ejected !== 1, 10_000, 20);
  const back = performance.now() - ejectedAt;
  t.diagnostic(`ejected for ${back.toFixed(0)}ms (base 400ms)`);
  assert.ok(back >= 380 && back < 2000, `back after ${back}ms`);
  assert.ok(count(await get(mesh, 10), 'b') >= 4, 'traffic returns');
});
