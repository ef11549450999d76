// An endpoint added by an update to a cluster whose health check says initialHealth UNHEALTHY takes no
// traffic before a check passes (UNHEALTHY waits for healthy_threshold passes, as Envoy's
// health_checker does for new hosts). The checker reports the initial health asynchronously (a tick
// later in-process, an IPC message later with workers), so the serving snapshot must apply it when the
// endpoint appears, not when that report arrives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const config = (ports: number[]): string => `
kind: Cluster
name: up
healthCheck: {http: {path: /}, intervalMs: 60000, healthyThreshold: 1, initialHealth: UNHEALTHY}
endpoints: [${ports.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', ')}]
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: up}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
`;

test('an endpoint added with initialHealth UNHEALTHY takes no traffic before its first verdict', { timeout: 30_000 }, async (t) => {
  const ups = await Promise.all(['a1', 'a2', 'b'].map((name) => startUpstream((_req, res) => res.end(name))));
  const [a1, a2, b] = ups as [(typeof ups)[0], (typeof ups)[0], (typeof ups)[0]];
  const mesh = await startMesh(config([a1.port, a2.port]));
  t.after(async () => {
    await mesh.close();
    for (const u of ups) await u.close();
  });
  // The checker found a1 and a2 healthy.
  for (const u of [a1, a2]) mesh.mesh.setActiveHealth('up', '127.0.0.1', u.port, Health.HEALTHY, 'http 200');
  const update = parseConfigText(config([a1.port, a2.port, b.port]), 'yaml');
  assert.ok(update.ok);
  const applied = await mesh.mesh.applyResources(update.config.resources);
  assert.ok(applied.ok);
  // No verdict on b yet (the checker has not run or its message is on its way).
  const answers: string[] = [];
  for (let i = 0; i < 30; i++) answers.push(await (await request(mesh.url('/'))).body.text());
  assert.equal(answers.filter((a) => a === 'b').length, 0, answers.join(','));
  // A passing check lets it in.
  mesh.mesh.setActiveHealth('up', '127.0.0.1', b.port, Health.HEALTHY, 'http 200');
  const after: string[] = [];
  for (let i = 0; i < 30; i++) after.push(await (await request(mesh.url('/'))).body.text());
  assert.ok(after.includes('b'), after.join(','));
});
