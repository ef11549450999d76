// The control plane's buckets for `scope: mesh` rate limits (mesh-token-buckets.ts): each replica holds
// burst × share and refills at rate × share, share being its proxies over the fleet's (fleet-share.ts),
// so that over all replicas the limit is the configured one. A changed limit is a fresh bucket, and
// the buckets kept are bounded (least recently used first out).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FleetShare } from '../../control-plane/src/rate-limit/fleet-share.js';
import { MeshTokenBuckets } from '../../control-plane/src/rate-limit/mesh-token-buckets.js';

const ask = { instanceKey: 'route|rate-limit|{}', ratePerSecond: 20, burst: 30, bucketKey: '', wanted: 1000 };

test('one replica of three proxies holds a third of the burst and refills at a third of the rate', () => {
  const share = new FleetShare(() => 1, () => 3);
  const buckets = new MeshTokenBuckets(() => share.current(0));
  assert.deepEqual(buckets.borrow(ask, 0), { granted: 10, waitMs: 0 });
  const empty = buckets.borrow(ask, 0);
  assert.equal(empty.granted, 0);
  assert.equal(empty.waitMs, 150, 'a token every 3/20 s');
  // Three seconds at 20/3 a second: 20 tokens, within the capped burst of 10.
  assert.equal(buckets.borrow(ask, 3000).granted, 10);
  assert.equal(buckets.borrow(ask, 3350).granted, 2, '0.35 s at 20/3 a second');
});

test('replicas together never hand out more than the burst and the rate', () => {
  // Two replicas: one with 1 proxy, the other with 3, of a fleet of 4.
  const replicas = [1, 3].map((here) => new MeshTokenBuckets(() => new FleetShare(() => here, () => 4).current(0)));
  let granted = 0;
  for (let ms = 0; ms <= 10_000; ms += 10) for (const r of replicas) granted += r.borrow({ ...ask, wanted: 1 }, ms).granted;
  // burst 30 + 20/s × 10 s = 230; only whole tokens are lent.
  assert.ok(granted <= 230 && granted >= 225, `granted ${granted}`);
});

test('the share is recomputed at most once a second, and a replica alone has all of it', () => {
  let fleet = 4;
  const share = new FleetShare(() => 2, () => fleet);
  assert.equal(share.current(0), 0.5);
  fleet = 2;
  assert.equal(share.current(500), 0.5, 'within the second: the last value');
  assert.equal(share.current(1000), 1);
  assert.equal(new FleetShare(() => 0, () => 0).current(0), 1, 'no proxy counted anywhere yet: the whole limit');
});

test('a changed rate or burst is a fresh bucket; the buckets kept are bounded', () => {
  const buckets = new MeshTokenBuckets(() => 1, 3);
  assert.equal(buckets.borrow(ask, 0).granted, 30);
  assert.equal(buckets.borrow({ ...ask, burst: 31 }, 0).granted, 31);
  assert.equal(buckets.borrow({ ...ask, bucketKey: 'a' }, 0).granted, 30);
  assert.equal(buckets.size, 3);
  // A fourth bucket evicts the least recently used (the first one), which starts full again.
  buckets.borrow({ ...ask, bucketKey: 'b' }, 0);
  assert.equal(buckets.size, 3);
  assert.equal(buckets.borrow(ask, 0).granted, 30);
});
