// Least request by the power of two choices: draw two peers at random, take the one with fewer
// requests in flight per unit of weight. Nearly as good as scanning all peers, at O(1), and without
// the herd that "always the least loaded" causes when many proxies see the same counts.
import type { Peer } from '../peer.js';
import { avoidable, EXCLUDE_DRAWS, type Balancer } from './balancer.js';
import { weightedAmong } from './random-balancer.js';

export class LeastRequest implements Balancer {
  constructor(private readonly peers: readonly Peer[]) {}

  pick(_session: unknown, exclude: readonly Peer[]): Peer | undefined {
    const peers = this.peers;
    const n = peers.length;
    if (n <= 1) return peers[0];
    const avoid = avoidable(peers, exclude);
    const a = this.draw(avoid);
    let b = this.draw(avoid);
    for (let i = 0; i < EXCLUDE_DRAWS && b === a; i++) b = this.draw(avoid);
    return a.inflight / a.weight <= b.inflight / b.weight ? a : b;
  }

  /** A random peer (uniform, as in Envoy's P2C; weight counts in the comparison), not one of `avoid`. */
  private draw(avoid: readonly Peer[] | undefined): Peer {
    const peers = this.peers;
    let peer = peers[Math.floor(Math.random() * peers.length)]!;
    if (avoid === undefined) return peer;
    for (let i = 0; i < EXCLUDE_DRAWS && avoid.includes(peer); i++) peer = peers[Math.floor(Math.random() * peers.length)]!;
    return avoid.includes(peer) ? weightedAmong(peers, avoid) : peer;
  }
}
