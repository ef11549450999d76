// Weighted balancing holds its weights within 5% over 10,000 requests through real sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'undici';
import { startMesh } from '../../helpers/mesh-fixture.js';
import { startUpstream } from '../../helpers/fake-upstream.js';
import { Peer } from '../../../../data-plane/src/upstream/peer.js';
import { LeastRequest } from '../../../../data-plane/src/upstream/balancers/least-request.js';
import { RandomBalancer } from '../../../../data-plane/src/upstream/balancers/random-balancer.js';
import type { Session } from '../../../../data-plane/src/proxy/session.js';

const REQUESTS = 10_000;

async function shares(policy: string): Promise<number[]> {
  const ups = await Promise.all([1, 2, 3].map((i) => startUpstream((_req, res) => res.end(String(i)))));
  const mesh = await startMesh(`
kind: Cluster
name: weighted
loadBalancing: ${policy}
endpoints:
  - {address: 127.0.0.1, port: {{a}}, weight: 1}
  - {address: 127.0.0.1, port: {{b}}, weight: 2}
  - {address: 127.0.0.1, port: {{c}}, weight: 3}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: weighted}
`, { a: ups[0]!.port, b: ups[1]!.port, c: ups[2]!.port });
  const client = new Pool(mesh.url('/'), { connections: 16, pipelining: 1 });
  try {
    const counts = [0, 0, 0];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < REQUESTS) {
          next++;
          const res = await client.request({ path: '/', method: 'GET' });
          counts[Number(await res.body.text()) - 1]!++;
        }
      }),
    );
    const total = counts.reduce((a, b) => a + b, 0);
    assert.equal(total, REQUESTS);
    return counts.map((c) => c / total);
  } finally {
    await client.close();
    await mesh.close();
    await Promise.all(ups.map((u) => u.close()));
  }
}

function assertWithinFivePercent(got: number[], label: string): void {
  const want = [1 / 6, 2 / 6, 3 / 6];
  got.forEach((share, i) => {
    const relative = Math.abs(share - want[i]!) / want[i]!;
    assert.ok(relative < 0.05, `${label}: endpoint ${i} got ${(share * 100).toFixed(2)}%, want ${(want[i]! * 100).toFixed(2)}% ±5%`);
  });
}

test('weights 1:2:3 hold within 5% over 10,000 proxied requests (smooth weighted round robin)', async () => {
  assertWithinFivePercent(await shares('ROUND_ROBIN'), 'ROUND_ROBIN');
});

/**
 * Random picks are binomial: over 10,000 requests the 1/6 share has a standard deviation of 0.37
 * points, so a ±5% relative bound (0.83 points) fails by chance in several percent of runs. Allow
 * 4.5 standard deviations (a false failure about once in 100,000 runs); uniform picks (33% each)
 * or ignored weights still fail by far.
 */
function assertWithinSamplingError(got: number[], label: string): void {
  const want = [1 / 6, 2 / 6, 3 / 6];
  got.forEach((share, i) => {
    const p = want[i]!;
    const allowed = 4.5 * Math.sqrt((p * (1 - p)) / REQUESTS);
    assert.ok(Math.abs(share - p) <= allowed, `${label}: endpoint ${i} got ${(share * 100).toFixed(2)}%, want ${(p * 100).toFixed(2)}% ±${(allowed * 100).toFixed(2)} points`);
  });
}

test('weights 1:2:3 hold within sampling error over 10,000 proxied requests (weighted random)', async () => {
  assertWithinSamplingError(await shares('RANDOM'), 'RANDOM');
});

test('least request prefers the peer with fewer requests in flight', () => {
  const busy = new Peer('127.0.0.1', 1);
  const idle = new Peer('127.0.0.1', 2);
  busy.inflight = 50;
  const lr = new LeastRequest([busy, idle]);
  const counts = new Map<Peer, number>([[busy, 0], [idle, 0]]);
  for (let i = 0; i < 10_000; i++) {
    const p = lr.pick({} as Session, [])!;
    counts.set(p, counts.get(p)! + 1);
  }
  // Two draws that both land on the busy peer happen a quarter of the time; otherwise idle wins.
  assert.ok(counts.get(idle)! > 7000, `idle got ${counts.get(idle)}`);
});

test('balancers avoid peers already tried when another exists', () => {
  const peers = [new Peer('127.0.0.1', 1), new Peer('127.0.0.1', 2)];
  const random = new RandomBalancer(peers);
  let avoided = 0;
  for (let i = 0; i < 1000; i++) if (random.pick({} as Session, [peers[0]!]) === peers[1]) avoided++;
  assert.ok(avoided > 990, `avoided ${avoided} of 1000`);
});
