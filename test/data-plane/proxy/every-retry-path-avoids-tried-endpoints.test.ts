// Each way the engine tries a request again picks an endpoint the request has not tried, for every
// balancer: a retried status (GATEWAY_ERROR), a reset (RESET), the free retry of a stale pooled
// connection, and the free re-pick after a refused connect. Outlier detection is off, so the failing
// endpoints stay in the balancer and only the exclusion of tried endpoints keeps requests off them.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { request } from 'undici';
import { closedPort, startResettingUpstream, startUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const BALANCERS = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV'];

/** An upstream that records the x-request-id of every request it gets. */
async function recording(handler: (req: IncomingMessage, res: ServerResponse, nthOnConnection: number) => void): Promise<FakeUpstream & { ids: string[] }> {
  const ids: string[] = [];
  const perSocket = new WeakMap<object, number>();
  const up = await startUpstream((req, res) => {
    ids.push(String(req.headers['x-request-id']));
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    handler(req, res, n);
  });
  return Object.assign(up, { ids });
}

function noRepeats(name: string, ids: readonly string[]): void {
  assert.equal(new Set(ids).size, ids.length, `${name} got the same request twice`);
}

function cluster(lb: string, ports: readonly number[], route: string): string {
  // Hash balancers key on a header the requests vary, so first picks spread over the endpoints.
  return `kind: Cluster
name: c
loadBalancing: ${lb}
${lb === 'RING_HASH' || lb === 'MAGLEV' ? 'hashPolicy: {header: x-key}' : ''}
outlierDetection: {disabled: true}
endpoints: [${ports.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', ')}]
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: c}
${route}
`;
}

for (const lb of BALANCERS) {
  test(`${lb}: retried 503s and resets go to endpoints not tried yet`, async (t) => {
    const failing = await Promise.all([0, 1].map(() => recording((_req, res) => {
      res.statusCode = 503;
      res.end('down');
    })));
    const resetting = await startResettingUpstream();
    const good = await recording((_req, res) => res.end('good'));
    // Two tries can fail at most: two 503s, or a 503 and a reset; the third try must find `good`.
    const retry = 'retry: {attempts: 2, on: [GATEWAY_ERROR, RESET], backoffBaseMs: 1}';
    const meshes = [
      await startMesh(cluster(lb, [failing[0]!.port, failing[1]!.port, good.port], retry)),
      await startMesh(cluster(lb, [failing[0]!.port, resetting.port, good.port], retry)),
    ];
    t.after(async () => {
      for (const m of meshes) await m.close();
      await Promise.all([...failing, good].map((u) => u.close()));
      await resetting.close();
    });
    for (const mesh of meshes) {
      for (let i = 0; i < 30; i++) {
        const res = await request(mesh.url(`/r${i}`), { headers: { 'x-request-id': `${lb}-${mesh.port()}-${i}`, 'x-key': `k${i}` } });
        assert.equal(res.statusCode, 200);
        assert.equal(await res.body.text(), 'good');
      }
    }
    for (const u of failing) noRepeats('a 503 endpoint', u.ids);
    noRepeats('the good endpoint', good.ids);
  });

  test(`${lb}: the free retry of a stale pooled connection and the re-pick after a refusal avoid the endpoint tried`, async (t) => {
    // `stale` answers the first request of each connection and resets the connection on the next:
    // every reuse of a pooled connection to it fails as if it had closed the connection while idle.
    const stale = await recording((req, res, n) => (n === 1 ? res.end('stale-first') : req.socket.resetAndDestroy()));
    const good = await recording((_req, res) => res.end('good'));
    const [deadA, deadB] = [await closedPort(), await closedPort()];
    const staleMesh = await startMesh(cluster(lb, [stale.port, good.port], ''));
    // Refused, re-picked for free, refused again, retried once: only `good` is left.
    const refusedMesh = await startMesh(cluster(lb, [deadA, deadB, good.port], 'retry: {attempts: 1, on: [CONNECT_FAILURE], backoffBaseMs: 1}'));
    t.after(async () => {
      await staleMesh.close();
      await refusedMesh.close();
      await Promise.all([stale.close(), good.close()]);
    });
    let answeredByStale = 0;
    // Each of 20 keys twice: a hash balancer sends some of them to `stale` and then reuses that connection.
    for (let i = 0; i < 40; i++) {
      const res = await request(staleMesh.url(`/s${i}`), { headers: { 'x-request-id': `${lb}-stale-${i}`, 'x-key': `k${i % 20}` } });
      assert.equal(res.statusCode, 200);
      const body = await res.body.text();
      assert.match(body, /^(good|stale-first)$/);
      if (body === 'stale-first') answeredByStale++;
    }
    assert.ok(stale.ids.length > answeredByStale, 'no pooled connection to the stale endpoint was reused');
    noRepeats('the stale endpoint', stale.ids);
    for (let i = 0; i < 20; i++) {
      const res = await request(refusedMesh.url(`/d${i}`), { headers: { 'x-key': `k${i}` } });
      assert.equal(res.statusCode, 200, `refused twice, then ${res.statusCode} ${res.headers['x-sluice-error']}`);
      assert.equal(await res.body.text(), 'good');
    }
  });
}
