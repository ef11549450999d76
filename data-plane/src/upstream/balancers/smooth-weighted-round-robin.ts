// Smooth weighted round robin (nginx's): every pick adds each peer's weight to its score and takes the
// highest, which then pays the total back. Weights 5:1:1 give a a b a c a a, not a a a a a b c.
import type { Peer } from '../peer.js';
import { avoidable, type Balancer } from './balancer.js';

export class SmoothWeightedRoundRobin implements Balancer {
  private readonly current: Float64Array;
  private readonly total: number;

  constructor(private readonly peers: readonly Peer[]) {
    this.current = new Float64Array(peers.length);
    this.total = peers.reduce((sum, p) => sum + p.weight, 0);
  }

  pick(_session: unknown, exclude: readonly Peer[]): Peer | undefined {
    const peers = this.peers;
    if (peers.length <= 1) return peers[0];
    // Tried peers sit this pick out and their scores stand still: the round goes on among the others.
    const skip = avoidable(peers, exclude);
    let best = -1;
    let total = 0;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      if (skip !== undefined && skip.includes(peer)) continue;
      this.current[i]! += peer.weight;
      total += peer.weight;
      if (best < 0 || this.current[i]! > this.current[best]!) best = i;
    }
    if (best < 0) return undefined;
    this.current[best]! -= skip === undefined ? this.total : total;
    return peers[best];
  }
}
