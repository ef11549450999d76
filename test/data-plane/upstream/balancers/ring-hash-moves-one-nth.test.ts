// Consistent hashing: when one of N endpoints goes, about 1/N of the keys move (ring hash: only the
// keys of the endpoint that went), and a key sticks to its endpoint across requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Peer } from '../../../../data-plane/src/upstream/peer.js';
import { RingHash } from '../../../../data-plane/src/upstream/balancers/ring-hash.js';
import { Maglev } from '../../../../data-plane/src/upstream/balancers/maglev.js';
import { murmur3 } from '../../../../data-plane/src/upstream/balancers/murmur3.js';
import type { Session } from '../../../../data-plane/src/proxy/session.js';
import { startMesh } from '../../helpers/mesh-fixture.js';
import { startUpstream } from '../../helpers/fake-upstream.js';

const N = 5;
const KEYS = Array.from({ length: 20_000 }, (_, i) => murmur3(`user-${i}`));

function moved(build: (peers: Peer[]) => { pickByHash(h: number): Peer | undefined }): { fraction: number; onlyFromRemoved: boolean; shares: number[] } {
  const peers = Array.from({ length: N }, (_, i) => new Peer('10.0.0.' + (i + 1), 8080));
  const before = build(peers);
  const after = build(peers.filter((_, i) => i !== 2));
  let n = 0;
  let onlyFromRemoved = true;
  const counts = new Map<Peer, number>();
  for (const h of KEYS) {
    const a = before.pickByHash(h)!;
    const b = after.pickByHash(h)!;
    counts.set(a, (counts.get(a) ?? 0) + 1);
    if (a !== b) {
      n++;
      if (a !== peers[2]) onlyFromRemoved = false;
    }
  }
  return { fraction: n / KEYS.length, onlyFromRemoved, shares: peers.map((p) => (counts.get(p) ?? 0) / KEYS.length) };
}

test('ring hash: removing one of 5 endpoints moves about 1/5 of the keys, all from the removed one', () => {
  const r = moved((peers) => new RingHash(peers, () => undefined));
  assert.ok(r.onlyFromRemoved, 'a key moved between two endpoints that both stayed');
  assert.ok(r.fraction <= (1 / N) * 1.25, `moved ${(r.fraction * 100).toFixed(1)}%`);
  assert.ok(r.fraction > 0, 'nothing moved');
  for (const s of r.shares) assert.ok(Math.abs(s - 1 / N) < 0.06, `uneven share ${s}`);
});

test('maglev: removing one of 5 endpoints moves about 1/5 of the keys', () => {
  const r = moved((peers) => new Maglev(peers, () => undefined));
  assert.ok(r.fraction <= (1 / N) * 1.5, `moved ${(r.fraction * 100).toFixed(1)}%`);
  for (const s of r.shares) assert.ok(Math.abs(s - 1 / N) < 0.02, `uneven share ${s}`);
});

test('ring hash on a header through the proxy: one key always reaches the same endpoint', async () => {
  const ups = await Promise.all([1, 2, 3].map((i) => startUpstream((_req, res) => res.end(String(i)))));
  const mesh = await startMesh(`
kind: Cluster
name: sticky
loadBalancing: RING_HASH
hashPolicy: {header: x-user}
endpoints:
  - {address: 127.0.0.1, port: {{a}}}
  - {address: 127.0.0.1, port: {{b}}}
  - {address: 127.0.0.1, port: {{c}}}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: sticky}
`, { a: ups[0]!.port, b: ups[1]!.port, c: ups[2]!.port });
  try {
    const seen = new Map<string, Set<string>>();
    for (let i = 0; i < 300; i++) {
      const user = `u${i % 30}`;
      const res = await fetch(mesh.url('/'), { headers: { 'x-user': user } });
      const who = await res.text();
      if (!seen.has(user)) seen.set(user, new Set());
      seen.get(user)!.add(who);
    }
    for (const [user, set] of seen) assert.equal(set.size, 1, `${user} reached ${[...set].join(',')}`);
    const used = new Set([...seen.values()].flatMap((s) => [...s]));
    assert.ok(used.size >= 2, 'all keys landed on one endpoint');
  } finally {
    await mesh.close();
    await Promise.all(ups.map((u) => u.close()));
  }
});

test('maglev on a cookie picks by the cookie value', () => {
  const peers = [new Peer('a', 1), new Peer('b', 1), new Peer('c', 1)];
  const m = new Maglev(peers, (s) => s.cookie('sid'));
  const fake = (sid: string): Session => ({ cookie: (name: string) => (name === 'sid' ? sid : undefined) }) as unknown as Session;
  for (let i = 0; i < 50; i++) assert.equal(m.pick(fake(`s${i}`), []), m.pick(fake(`s${i}`), []));
});
