// Weighted random choice: cumulative weights and a binary search, no shared state between picks.
import type { Peer } from '../peer.js';
import { avoidable, EXCLUDE_DRAWS, type Balancer } from './balancer.js';

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
    const avoid = avoidable(this.peers, exclude);
    let peer = this.draw();
    if (avoid === undefined) return peer;
    for (let i = 0; i < EXCLUDE_DRAWS && avoid.includes(peer); i++) peer = this.draw();
    return avoid.includes(peer) ? weightedAmong(this.peers, avoid) : peer;
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

/**
 * A weighted random peer among those not in `avoid`, when random draws kept landing on tried ones
 * (most of the weight was tried). The caller knows one exists (avoidable()).
 */
export function weightedAmong(peers: readonly Peer[], avoid: readonly Peer[]): Peer {
  let total = 0;
  for (const p of peers) if (!avoid.includes(p)) total += p.weight;
  let r = Math.random() * total;
  let last: Peer | undefined;
  for (const p of peers) {
    if (avoid.includes(p)) continue;
    last = p;
    r -= p.weight;
    if (r < 0) return p;
  }
  return last!;
}
