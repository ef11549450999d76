// A configuration the proxy refuses (here an unknown filter) leaves the serving snapshot as it was,
// down to its peers: an endpoint ejected by outlier detection before the refused update must still
// come back after its ejection time and take traffic again. Building a snapshot carries peers over
// (owner, weight, health), so a refused build must not take the live peers with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const config = (a: number, b: number, weight: number, filter: string): string => `
kind: Cluster
name: up
outlierDetection: {consecutive5xx: 2, consecutiveGatewayErrors: 2, baseEjectionTimeMs: 400, maxEjectionPercent: 100}
endpoints: [{address: 127.0.0.1, port: ${a}}, {address: 127.0.0.1, port: ${b}, weight: ${weight}}]
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: up}
${filter}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
`;

test('an ejected endpoint comes back after a refused update', { timeout: 30_000 }, async (t) => {
  let bFails = true;
  const a = await startUpstream((_req, res) => res.end('a'));
  const b = await startUpstream((_req, res) => {
    res.statusCode = bFails ? 500 : 200;
    res.end('b');
  });
  const mesh = await startMesh(config(a.port, b.port, 1, ''));
  t.after(async () => {
    await mesh.close();
    await a.close();
    await b.close();
  });
  const get = async (): Promise<string> => {
    const res = await request(mesh.url('/'));
    return res.body.text();
  };
  const peerB = () => mesh.mesh.snapshot!.clusters.get('up')!.peers.find((p) => p.port === b.port)!;
  for (let i = 0; i < 20 && !peerB().ejected; i++) await get();
  assert.equal(peerB().ejected, true, 'b ejected after its 500s');

  // Refused: the route names a filter that does not exist. The cluster changed too (b's weight).
  const refused = parseConfigText(config(a.port, b.port, 2, 'filters: [{name: no-such-filter}]'), 'yaml');
  assert.ok(refused.ok);
  const result = await mesh.mesh.applyResources(refused.config.resources);
  assert.equal(result.ok, false);

  bFails = false;
  await sleep(700); // the ejection (400 ms) is over
  assert.equal(peerB().ejected, false);
  const answers = [];
  for (let i = 0; i < 20; i++) answers.push(await get());
  assert.ok(answers.includes('b'), `b takes traffic again after its ejection: ${answers.join(',')}`);
  assert.equal(peerB().weight, 1, 'the refused weight is not applied');
});
