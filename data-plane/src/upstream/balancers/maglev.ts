// Maglev consistent hashing (Google's NSDI'16 load balancer): a lookup table of prime size filled
// by each peer's own permutation, in turns proportional to weight. O(1) lookups and an even spread;
// removing a peer moves a little more than its own share of keys.
import type { Peer } from '../peer.js';
import { RandomBalancer } from './random-balancer.js';
import { avoidable, type Balancer } from './balancer.js';
import type { HashKeyOf, HashSubject } from './hash-key.js';
import { murmur3 } from './murmur3.js';

/** Prime, as the paper requires; Envoy's default too. */
export const MAGLEV_TABLE_SIZE = 65537;

export class Maglev implements Balancer {
  private readonly table: Int32Array;
  private readonly fallback: RandomBalancer;

  constructor(private readonly peers: readonly Peer[], private readonly keyOf: HashKeyOf, size = MAGLEV_TABLE_SIZE) {
    this.table = new Int32Array(size).fill(-1);
    this.fallback = new RandomBalancer(peers);
    if (peers.length === 0) return;
    const offsets = peers.map((p) => murmur3(p.key, 0x9e3779b9) % size);
    const skips = peers.map((p) => (murmur3(p.key, 0x7f4a7c15) % (size - 1)) + 1);
    const next = new Array<number>(peers.length).fill(0);
    const maxWeight = Math.max(...peers.map((p) => p.weight));
    const credit = new Array<number>(peers.length).fill(0);
    let filled = 0;
    while (filled < size) {
      for (let i = 0; i < peers.length && filled < size; i++) {
        credit[i]! += peers[i]!.weight / maxWeight;
        if (credit[i]! < 1) continue;
        credit[i]! -= 1;
        let slot: number;
        do {
          slot = (offsets[i]! + next[i]! * skips[i]!) % size;
          next[i]!++;
        } while (this.table[slot] !== -1);
        this.table[slot] = i;
        filled++;
      }
    }
  }

  pick(session: HashSubject, exclude: readonly Peer[]): Peer | undefined {
    const key = this.keyOf(session);
    if (key === undefined || this.peers.length === 0) return this.fallback.pick(session, exclude);
    return this.pickByHash(murmur3(key), exclude);
  }

  /** The table's peer for `hash`; on a retry, the next slots' peers until one was not tried. */
  pickByHash(hash: number, exclude: readonly Peer[] = []): Peer | undefined {
    if (this.peers.length === 0) return undefined;
    const size = this.table.length;
    const start = hash % size;
    const first = this.peers[this.table[start]!]!;
    const avoid = avoidable(this.peers, exclude);
    if (avoid === undefined) return first;
    for (let step = 1; step < size; step++) {
      const peer = this.peers[this.table[(start + step) % size]!]!;
      if (!avoid.includes(peer)) return peer;
    }
    return first;
  }
}
