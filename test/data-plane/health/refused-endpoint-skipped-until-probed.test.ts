// An endpoint that refuses a connection leaves the balancer at once (outlier detection is on by
// default) and comes back when a probe from the proxy passes; with `outlierDetection: {disabled:
// true}` it keeps being tried; a cluster whose every endpoint refuses still answers 503
// connect-failure at once (panic mode), and takes traffic again once one endpoint listens.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { request } from 'undici';
import type { Peer } from '../../../data-plane/src/upstream/peer.js';
import { until } from '../../support/until.js';
import { closedPort, startUpstream } from '../helpers/fake-upstream.js';
import { startMesh, type MeshFixture } from '../helpers/mesh-fixture.js';

const ROUTE = `
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: pair}
retry: {attempts: 2, on: [CONNECT_FAILURE, RESET, GATEWAY_ERROR], backoffBaseMs: 1}
`;

/** A server on a port chosen earlier (the endpoint coming back). */
async function listenOn(port: number, body: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

function peerOf(mesh: MeshFixture, port: number): Peer {
  return mesh.mesh.snapshot!.clusters.get('pair')!.peers.find((p) => p.port === port)!;
}

async function get(mesh: MeshFixture): Promise<{ status: number; body: string; error: string | undefined }> {
  const res = await request(mesh.url('/'));
  return { status: res.statusCode, body: await res.body.text(), error: res.headers['x-sluice-error'] as string | undefined };
}

test('a refused endpoint is skipped after its first refusal, until a probe passes; then it takes traffic again', async (t) => {
  const good = await startUpstream((_req, res) => res.end('good'));
  const deadPort = await closedPort();
  const mesh = await startMesh(`kind: Cluster
name: pair
endpoints: [{address: 127.0.0.1, port: {{dead}}}, {address: 127.0.0.1, port: {{good}}}]
${ROUTE}`, { dead: deadPort, good: good.port });
  let back: Server | undefined;
  t.after(async () => {
    await mesh.close();
    await good.close();
    back?.close();
  });
  const dead = peerOf(mesh, deadPort);
  for (let i = 0; i < 40; i++) assert.deepEqual(await get(mesh), { status: 200, body: 'good', error: undefined });
  assert.equal(dead.pool.getStats().connectFailures, 1, 'tried once, then skipped');
  assert.equal(dead.ejected, true);
  assert.equal(dead.outlier!.untilProbed, true);
  assert.equal(dead.outlier!.reason, 'connect refused (ECONNREFUSED)');

  back = await listenOn(deadPort, 'back');
  await until('the probe lets the endpoint back', () => (dead.ejected ? undefined : true), 10_000, 10);
  const bodies = new Set<string>();
  for (let i = 0; i < 10; i++) bodies.add((await get(mesh)).body);
  assert.deepEqual([...bodies].sort(), ['back', 'good']);
});

test('outlierDetection disabled: a refused endpoint is never ejected and every request still succeeds by retry', async (t) => {
  const good = await startUpstream((_req, res) => res.end('good'));
  const deadPort = await closedPort();
  const mesh = await startMesh(`kind: Cluster
name: pair
outlierDetection: {disabled: true}
endpoints: [{address: 127.0.0.1, port: {{dead}}}, {address: 127.0.0.1, port: {{good}}}]
${ROUTE}`, { dead: deadPort, good: good.port });
  t.after(async () => {
    await mesh.close();
    await good.close();
  });
  const dead = peerOf(mesh, deadPort);
  for (let i = 0; i < 40; i++) assert.deepEqual(await get(mesh), { status: 200, body: 'good', error: undefined });
  assert.equal(mesh.mesh.snapshot!.clusters.get('pair')!.outlier, undefined);
  assert.equal(dead.ejected, false);
  // Round robin keeps sending every other request there first.
  assert.ok(dead.pool.getStats().connectFailures >= 15, `tried ${dead.pool.getStats().connectFailures} times`);
});

test('every endpoint refuses: 503 connect-failure at once (panic keeps them in), and traffic resumes once one listens', async (t) => {
  const [portA, portB] = [await closedPort(), await closedPort()];
  const mesh = await startMesh(`kind: Cluster
name: pair
connectTimeoutMs: 1000
endpoints: [{address: 127.0.0.1, port: {{a}}}, {address: 127.0.0.1, port: {{b}}}]
${ROUTE}`, { a: portA, b: portB });
  let back: Server | undefined;
  t.after(async () => {
    await mesh.close();
    back?.close();
  });
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    assert.deepEqual(await get(mesh), { status: 503, body: 'connect-failure\n', error: 'connect-failure' });
    assert.ok(performance.now() - started < 900, 'a refusal is answered without waiting for a timeout');
  }
  assert.equal(peerOf(mesh, portA).ejected && peerOf(mesh, portB).ejected, true, 'both refused, both out: the cluster is in panic');
  back = await listenOn(portB, 'b');
  await until('b answers again', async () => ((await get(mesh)).status === 200 ? true : undefined), 10_000, 20);
  await until('the probe lets b back', () => (peerOf(mesh, portB).ejected ? undefined : true), 10_000, 10);
  // Out of panic: a is still out, so every request goes to b.
  for (let i = 0; i < 10; i++) assert.deepEqual(await get(mesh), { status: 200, body: 'b', error: undefined });
});
