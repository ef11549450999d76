// The balancer for a cluster's loadBalancing policy.
import type { HashPolicy } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Peer } from '../peer.js';
import type { Balancer } from './balancer.js';
import { compileHashKey } from './hash-key.js';
import { LeastRequest } from './least-request.js';
import { Maglev } from './maglev.js';
import { RandomBalancer } from './random-balancer.js';
import { RingHash } from './ring-hash.js';
import { SmoothWeightedRoundRobin } from './smooth-weighted-round-robin.js';
import { LoadBalancing } from '../../../../proto/src/model/enums.js';

export function createBalancer(policy: LoadBalancing, peers: readonly Peer[], hashPolicy?: HashPolicy): Balancer {
  switch (policy) {
    case LoadBalancing.LEAST_REQUEST:
      return new LeastRequest(peers);
    case LoadBalancing.RANDOM:
      return new RandomBalancer(peers);
    case LoadBalancing.RING_HASH:
      return new RingHash(peers, compileHashKey(hashPolicy));
    case LoadBalancing.MAGLEV:
      return new Maglev(peers, compileHashKey(hashPolicy));
    case LoadBalancing.ROUND_ROBIN:
    default:
      return new SmoothWeightedRoundRobin(peers);
  }
}
