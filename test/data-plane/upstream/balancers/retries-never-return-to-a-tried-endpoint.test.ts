// Envoy's previous_hosts retry predicate, balancer by balancer: a pick never returns a peer the
// request already tried while another exists, also when the tried list holds peers the balancer no
// longer has (it was rebuilt mid-request after an ejection or an active check's verdict); when every
// peer was tried, a peer still comes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ClusterSchema, LoadBalancing } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import { Health } from '../../../../proto/gen/sluice/v1/endpoints_pb.js';
import type { Session } from '../../../../data-plane/src/proxy/session.js';
import { ClusterState } from '../../../../data-plane/src/snapshot/cluster-state.js';
import type { Balancer } from '../../../../data-plane/src/upstream/balancers/balancer.js';
import { createBalancer } from '../../../../data-plane/src/upstream/balancers/create-balancer.js';
import { Peer } from '../../../../data-plane/src/upstream/peer.js';

const POLICIES = [LoadBalancing.ROUND_ROBIN, LoadBalancing.LEAST_REQUEST, LoadBalancing.RANDOM, LoadBalancing.RING_HASH, LoadBalancing.MAGLEV] as const;
const name = (lb: LoadBalancing): string => LoadBalancing[lb]!;
/** Hash balancers key on the client address by default: a client per iteration varies their first choice. */
const client = (i: number): Session => ({ remoteAddress: `10.1.${i >> 8}.${i & 255}`, headers: { get: () => undefined } }) as unknown as Session;

function peers(n: number, weights: readonly number[] = []): Peer[] {
  return Array.from({ length: n }, (_, i) => new Peer(`10.0.0.${i + 1}`, 8080, { weight: weights[i] ?? 1 }));
}

function subsets<T>(items: readonly T[]): T[][] {
  return Array.from({ length: 2 ** items.length }, (_, mask) => items.filter((_, i) => (mask >> i) & 1));
}

for (const lb of POLICIES) {
  test(`${name(lb)}: no tried peer while an untried one exists, for every set of tried peers`, () => {
    const ps = peers(4, [1, 3, 1, 5]);
    const balancer: Balancer = createBalancer(lb, ps);
    for (const tried of subsets(ps)) {
      for (let i = 0; i < 200; i++) {
        const got = balancer.pick(client(i), tried);
        assert.ok(got !== undefined && ps.includes(got), `${name(lb)} picked nothing with ${tried.length} tried`);
        if (tried.length < ps.length) assert.ok(!tried.includes(got), `${name(lb)} returned to ${got.key} after trying ${tried.map((p) => p.key).join(', ')}`);
      }
    }
  });

  test(`${name(lb)}: a rebuilt balancer still avoids the tried peers it has, whatever else was tried`, () => {
    const [a, b, c] = peers(3) as [Peer, Peer, Peer];
    // a was tried and then left the balancer (ejected); b was tried too: only c is left untried.
    const balancer = createBalancer(lb, [b, c]);
    for (let i = 0; i < 500; i++) assert.equal(balancer.pick(client(i), [a, b]), c, `${name(lb)} went back to b`);
    // Everything the balancer has was tried: it still answers with one of them.
    for (let i = 0; i < 50; i++) assert.ok([b, c].includes(balancer.pick(client(i), [a, b, c])!));
  });

  test(`${name(lb)}: an active check's verdict mid-request rebuilds the balancer, and the third try goes to the one endpoint not tried`, () => {
    const cluster = create(ClusterSchema, {
      name: 'web',
      loadBalancing: lb,
      endpoints: [1, 2, 3].map((i) => ({ address: `10.0.0.${i}`, port: 8080 })),
    });
    for (let i = 0; i < 200; i++) {
      const state = new ClusterState(cluster, undefined, undefined);
      const session = client(i);
      const first = state.pick(session, [])!;
      const second = state.pick(session, [first])!;
      assert.notEqual(second, first);
      // The first endpoint fails its check while the request retries: its peer leaves the balancer.
      state.setActiveHealth(first.key, Health.UNHEALTHY, 'http 503');
      const third = state.pick(session, [first, second])!;
      assert.ok(third !== first && third !== second, `${name(lb)}: third try went back to ${third.key}`);
    }
  });
}
