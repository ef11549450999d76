// A reset endpoint → the request succeeds on another (retry policy), and failures that cannot be
// retried are answered 502 / 503 / 504 with x-sluice-error naming the cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { closedPort, startResettingUpstream, startUpstream } from '../helpers/fake-upstream.js';

test('a reset endpoint: every request succeeds on the other endpoint', async (t) => {
  const good = await startUpstream((_req, res) => res.end('good'));
  const bad = await startResettingUpstream();
  const mesh = await startMesh(yamlDocs(
    clusterYaml('pair', ['{{bad}}', '{{good}}']),
    catchAllRouteYaml('all', 'pair', 'retry: {attempts: 2, on: [RESET, CONNECT_FAILURE], backoffBaseMs: 1}'),
  ), { bad: bad.port, good: good.port });
  t.after(async () => {
    await mesh.close();
    await good.close();
    await bad.close();
  });
  for (let i = 0; i < 20; i++) {
    const res = await request(mesh.url(`/r${i}`));
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'good');
  }
  assert.ok(bad.accepted() >= 5, `the resetting endpoint was tried ${bad.accepted()} times`);
});

test('a refused endpoint: connect failures are retried on another endpoint, even for POST', async (t) => {
  const good = await startUpstream((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(`got ${n}`));
  });
  const dead = await closedPort();
  const mesh = await startMesh(yamlDocs(
    clusterYaml('pair', ['{{dead}}', '{{good}}']),
    catchAllRouteYaml('all', 'pair', 'retry: {attempts: 1, on: [CONNECT_FAILURE], backoffBaseMs: 1}'),
  ), { dead, good: good.port });
  t.after(async () => {
    await mesh.close();
    await good.close();
  });
  for (let i = 0; i < 6; i++) {
    const res = await request(mesh.url('/'), { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'got 1000');
  }
});

test('without a retry policy: reset → 502, refused → 503, slow → 504, each with x-sluice-error', async (t) => {
  const reset = await startResettingUpstream();
  const dead = await closedPort();
  const slow = await startUpstream((_req, res) => setTimeout(() => res.end('late'), 2000));
  const failing = await startUpstream((_req, res) => {
    res.statusCode = 503;
    res.end('down');
  });
  const mesh = await startMesh(`
kind: Cluster
name: reset
endpoints: [{address: 127.0.0.1, port: {{reset}}}]
---
kind: Cluster
name: dead
endpoints: [{address: 127.0.0.1, port: {{dead}}}]
---
kind: Cluster
name: slow
endpoints: [{address: 127.0.0.1, port: {{slow}}}]
---
kind: Cluster
name: failing
endpoints: [{address: 127.0.0.1, port: {{failing}}}]
---
kind: Route
name: reset
hosts: [reset.test]
forward: {cluster: reset}
---
kind: Route
name: dead
hosts: [dead.test]
forward: {cluster: dead}
---
kind: Route
name: slow
hosts: [slow.test]
forward: {cluster: slow}
timeoutMs: 200
---
kind: Route
name: failing
hosts: [failing.test]
forward: {cluster: failing}
retry: {attempts: 2, on: [GATEWAY_ERROR], backoffBaseMs: 1}
`, { reset: reset.port, dead, slow: slow.port, failing: failing.port });
  t.after(async () => {
    await mesh.close();
    await Promise.all([reset.close(), slow.close(), failing.close()]);
  });
  const cases: Array<[string, number, string]> = [
    ['reset.test', 502, 'upstream-reset'],
    ['dead.test', 503, 'connect-failure'],
    ['slow.test', 504, 'upstream-timeout'],
  ];
  for (const [host, status, cause] of cases) {
    const res = await request(mesh.url('/'), { headers: { host } });
    assert.equal(res.statusCode, status, host);
    assert.equal(res.headers['x-sluice-error'], cause, host);
    await res.body.text();
  }
  // A 503 the policy covers is retried; when every try answers 503, the last answer is passed on.
  const res = await request(mesh.url('/'), { headers: { host: 'failing.test' } });
  assert.equal(res.statusCode, 503);
  assert.equal(await res.body.text(), 'down');
  assert.equal(failing.seen.length, 3, 'one try and two retries');
});
