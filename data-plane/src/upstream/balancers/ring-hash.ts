// Consistent hashing on a ketama ring: each peer owns VNODES_PER_WEIGHT points per unit of weight,
// placed by hashing its address. Removing one of N peers moves only the keys it owned (about 1/N);
// the other peers' points do not move because their count does not depend on N.
import type { Peer } from '../peer.js';
import { RandomBalancer } from './random-balancer.js';
import { avoidable, type Balancer } from './balancer.js';
import type { HashKeyOf, HashSubject } from './hash-key.js';
import { murmur3 } from './murmur3.js';

const VNODES_PER_WEIGHT = 160;

export class RingHash implements Balancer {
  private readonly hashes: Uint32Array;
  private readonly owners: Uint32Array;
  private readonly fallback: RandomBalancer;

  constructor(private readonly peers: readonly Peer[], private readonly keyOf: HashKeyOf) {
    const points: Array<[number, number]> = [];
    peers.forEach((peer, index) => {
      const count = VNODES_PER_WEIGHT * peer.weight;
      for (let v = 0; v < count; v++) points.push([murmur3(`${peer.key}_${v}`), index]);
    });
    // Ties broken by peer key so every proxy builds the same ring.
    points.sort((a, b) => a[0] - b[0] || (peers[a[1]]!.key < peers[b[1]]!.key ? -1 : 1));
    this.hashes = Uint32Array.from(points, (p) => p[0]);
    this.owners = Uint32Array.from(points, (p) => p[1]);
    this.fallback = new RandomBalancer(peers);
  }

  pick(session: HashSubject, exclude: readonly Peer[]): Peer | undefined {
    const key = this.keyOf(session);
    if (key === undefined || this.hashes.length === 0) return this.fallback.pick(session, exclude);
    return this.pickByHash(murmur3(key), exclude);
  }

  /** The owner of the first point at or after `hash`, walking on past excluded peers. */
  pickByHash(hash: number, exclude: readonly Peer[] = []): Peer | undefined {
    const hashes = this.hashes;
    const n = hashes.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    const first = this.peers[this.owners[lo % n]!]!;
    const avoid = avoidable(this.peers, exclude);
    if (avoid === undefined) return first;
    // A retry walks on clockwise to the next owner not tried, as a removed owner's keys would.
    for (let step = 1; step < n; step++) {
      const peer = this.peers[this.owners[(lo + step) % n]!]!;
      if (!avoid.includes(peer)) return peer;
    }
    return first;
  }
}
