// SharedEjections, the proxy-wide keeper of ejections, on real sockets: a refusal is published at once
// and probed with a doubling delay until a probe passes (a TCP connect, or the cluster's HTTP check,
// which an endpoint that listens but fails keeps failing); timed ejections are capped at
// max_ejection_percent (at least one) across the proxy, refusals are not; a configuration without the
// endpoint, or with outlier detection disabled, forgets it.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import type { EjectionVerdict } from '../../../data-plane/src/upstream/health/ejection.js';
import { probeEndpoint } from '../../../data-plane/src/upstream/health/probe.js';
import { SharedEjections } from '../../../data-plane/src/upstream/health/shared-ejections.js';
import { until } from '../../support/until.js';
import { closedPort } from '../helpers/fake-upstream.js';

function resources(yaml: string): ResourceSet {
  const parsed = parseConfigText(yaml, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config.resources;
}

function clusterYaml(ports: readonly number[], extra = ''): string {
  return `kind: Cluster
name: web
endpoints: [${ports.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', ')}]
${extra}`;
}

async function listen(port: number, status: () => number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.statusCode = status();
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const refusal = (port: number) => ({ cluster: 'web', address: '127.0.0.1', port, refused: true, ms: 0, multiplier: 0, reason: 'connect refused (ECONNREFUSED)' });
const timed = (port: number, ms = 60_000) => ({ cluster: 'web', address: '127.0.0.1', port, refused: false, ms, multiplier: 1, reason: '5 consecutive 5xx' });

test('a refusal is published at once, probed with a doubling delay, and let back when a TCP probe passes', async (t) => {
  const port = await closedPort();
  const published: EjectionVerdict[] = [];
  const probes: number[] = [];
  const shared = new SharedEjections((vs) => published.push(...vs), {
    firstMs: 20,
    maxMs: 80,
    probe: (target) => {
      probes.push(performance.now());
      return probeEndpoint(target.address, target.port, target.check, target.tls, target.http2);
    },
  });
  let server: Server | undefined;
  t.after(() => {
    shared.stop();
    server?.close();
  });
  shared.update(resources(clusterYaml([port])));
  const reportedAt = performance.now();
  shared.report(refusal(port));
  shared.report(refusal(port));
  assert.deepEqual(published, [{ cluster: 'web', address: '127.0.0.1', port, ejectedMs: 0, refused: true, multiplier: 0, reason: 'connect refused (ECONNREFUSED)' }], 'published once');
  assert.equal(shared.states().length, 1);
  await until('five failed probes', () => (probes.length >= 5 ? true : undefined), 5000, 5);
  const gaps = [probes[0]! - reportedAt, ...probes.slice(1, 5).map((p, i) => p - probes[i]!)];
  // 20, 40, 80, 80, 80 ms after each failure (a failed connect takes about nothing on loopback).
  [20, 40, 80, 80, 80].forEach((want, i) => assert.ok(gaps[i]! >= want - 1, `probe ${i + 1} after ${gaps[i]!.toFixed(0)} ms, wanted ${want}`));
  assert.ok(gaps[1]! < 200 && gaps[4]! < 400, `the delay is capped: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
  assert.equal(published.length, 1, 'nothing published while probes fail');

  server = await listen(port, () => 200);
  await until('the probe passes', () => (published.length === 2 ? true : undefined), 5000, 5);
  assert.deepEqual(published[1], { cluster: 'web', address: '127.0.0.1', port, ejectedMs: 0, refused: false, multiplier: 0, reason: 'probe passed: tcp connected' });
  assert.deepEqual(shared.states(), []);
});

test('with a health check, the probe is that check: an endpoint that listens but answers 503 stays out', async (t) => {
  const port = await closedPort();
  const published: EjectionVerdict[] = [];
  let status = 503;
  const server = await listen(port, () => status);
  const shared = new SharedEjections((vs) => published.push(...vs), { firstMs: 10, maxMs: 20 });
  t.after(() => {
    shared.stop();
    server.close();
  });
  shared.update(resources(clusterYaml([port], 'healthCheck: {http: {path: /healthz}, intervalMs: 1000, timeoutMs: 500}')));
  shared.report(refusal(port));
  let answered = 0;
  server.on('request', () => answered++);
  await until('a few HTTP probes', () => (answered >= 3 ? true : undefined), 5000, 5);
  assert.equal(published.length, 1, 'still out while its check fails');
  status = 200;
  await until('the check passes', () => (published.length === 2 ? true : undefined), 5000, 5);
  assert.equal(published[1]!.refused, false);
  assert.equal(published[1]!.reason, 'probe passed: http 200');
});

test('timed ejections are capped across the proxy, refusals are not; duplicates and removed endpoints change nothing', async (t) => {
  const ports = [await closedPort(), await closedPort(), await closedPort()];
  const published: EjectionVerdict[] = [];
  const shared = new SharedEjections((vs) => published.push(...vs), { firstMs: 60_000 });
  t.after(() => shared.stop());
  // 3 endpoints, 10%: one ejection at a time (never fewer than one).
  shared.update(resources(clusterYaml(ports)));
  shared.report(timed(ports[0]!));
  assert.equal(published.length, 1);
  assert.ok(published[0]!.ejectedMs > 59_000 && published[0]!.ejectedMs <= 60_000);
  shared.report(timed(ports[0]!, 10));
  assert.equal(published.length, 1, 'a second report of an ejected endpoint (another worker) is ignored');
  shared.report(timed(ports[1]!));
  assert.deepEqual({ ...published[1]!, reason: '' }, { cluster: 'web', address: '127.0.0.1', port: ports[1]!, ejectedMs: 0, refused: false, multiplier: 0, reason: '' }, 'over the cap: the reporter lets it back');
  shared.report(refusal(ports[2]!));
  assert.equal(published[2]!.refused, true, 'a refusal is never held back by the cap');
  assert.deepEqual(shared.states().map((v) => v.port).sort(), [ports[0]!, ports[2]!].sort());

  shared.update(resources(clusterYaml([ports[0]!, ports[1]!])));
  assert.deepEqual(shared.states().map((v) => v.port), [ports[0]!], 'an endpoint no longer configured is forgotten');
  shared.update(resources(clusterYaml(ports, 'outlierDetection: {disabled: true}')));
  assert.deepEqual(shared.states(), [], 'so is every ejection of a cluster whose outlier detection is now disabled');
});
