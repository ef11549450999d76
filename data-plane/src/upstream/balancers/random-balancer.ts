// Weighted random choice: cumulative weights and a binary search, no shared state between picks.
import type { Peer } from '../peer.js';
import { EXCLUDE_DRAWS, type Balancer } from './balancer.js';

export class RandomBalancer implements Balancer {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(private readonly peers: readonly Peer[]) {
    this.cumulative = new Float64Array(peers.length);
    let sum = 0;
    peers.forEach((p, i) => (this.cumulative[i] = sum += p.weight));
    this.total = sum;
  }

  pick(_session: unknown, exclude: readonly Peer[]): Peer | undefined {
    if (this.peers.length <= 1) return this.peers[0];
    let peer = this.draw();
    for (let i = 0; i < EXCLUDE_DRAWS && exclude.includes(peer); i++) peer = this.draw();
    return exclude.includes(peer) ? firstNotIn(this.peers, exclude) ?? peer : peer;
  }

  private draw(): Peer {
    const r = Math.random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r < this.cumulative[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return this.peers[lo]!;
  }
}

/** The first peer not in `exclude`, when random draws kept landing on tried ones. */
export function firstNotIn(peers: readonly Peer[], exclude: readonly Peer[]): Peer | undefined {
  for (const p of peers) if (!exclude.includes(p)) return p;
  return undefined;
}
