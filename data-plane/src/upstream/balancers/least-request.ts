// Least request by the power of two choices: draw two peers at random, take the one with fewer
// requests in flight per unit of weight. Nearly as good as scanning all peers, at O(1), and without
// the herd that "always the least loaded" causes when many proxies see the same counts.
import type { Peer } from '../peer.js';
import { EXCLUDE_DRAWS, type Balancer } from './balancer.js';
import { firstNotIn } from './random-balancer.js';

export class LeastRequest implements Balancer {
  constructor(private readonly peers: readonly Peer[]) {}

  pick(_session: unknown, exclude: readonly Peer[]): Peer | undefined {
    const peers = this.peers;
    const n = peers.length;
    if (n <= 1) return peers[0];
    const a = this.draw(exclude);
    let b = this.draw(exclude);
    for (let i = 0; i < EXCLUDE_DRAWS && b === a; i++) b = this.draw(exclude);
    return a.inflight / a.weight <= b.inflight / b.weight ? a : b;
  }

  private draw(exclude: readonly Peer[]): Peer {
    let peer = this.peers[Math.floor(Math.random() * this.peers.length)]!;
    for (let i = 0; i < EXCLUDE_DRAWS && exclude.includes(peer); i++) peer = this.peers[Math.floor(Math.random() * this.peers.length)]!;
    return exclude.includes(peer) ? firstNotIn(this.peers, exclude) ?? peer : peer;
  }
}
