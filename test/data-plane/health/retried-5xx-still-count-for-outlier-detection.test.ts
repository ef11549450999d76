// A route that retries 5xx on another endpoint hides a failing endpoint's answers from the client, but
// not from outlier detection: every answer counts, or an endpoint that fails every request would
// never be ejected (each of its 503s retried elsewhere), and would keep costing every other request a
// second try.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

test('5xx answers that the route retries still eject their endpoint', { timeout: 30_000 }, async (t) => {
  let badHits = 0;
  const good = await startUpstream((_req, res) => res.end('good'));
  const bad = await startUpstream((_req, res) => {
    badHits++;
    res.statusCode = 503;
    res.end('bad');
  });
  t.after(async () => {
    await good.close();
    await bad.close();
  });
  const mesh = await startMesh(yamlDocs(
    clusterYaml('app', [good.port, bad.port], 'outlierDetection: {consecutive5xx: 3, baseEjectionTimeMs: 30000, maxEjectionPercent: 50}'),
    catchAllRouteYaml('all', 'app', 'retry: {attempts: 1, on: [SERVER_ERROR], backoffBaseMs: 1}'),
    listenerYaml('main'),
  ));
  t.after(() => mesh.close());

  const bodies: string[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await request(mesh.url('/'));
    bodies.push(`${res.statusCode} ${await res.body.text()}`);
  }
  t.diagnostic(`the failing endpoint got ${badHits} of 40 requests' tries`);
  assert.deepEqual(new Set(bodies), new Set(['200 good']), 'every client got the good answer (retried)');
  assert.equal(badHits, 3, 'three 503s, then the endpoint is ejected and gets no more tries');
  assert.match(await mesh.mesh.metrics.registry.metrics(), /sluice_proxy_outlier_ejections_total\{cluster="app"\} 1/);
});
