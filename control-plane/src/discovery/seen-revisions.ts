// When this replica's cache saw each store revision: the start of the time a configuration change
// takes to reach the proxies (sluice_discovery_propagation_seconds). Only the newest revisions are kept.
import { performance } from 'node:perf_hooks';
import type { CacheUpdate } from '../store/resource-cache.js';

export interface RevisionUpdates {
  onUpdate(listener: (update: CacheUpdate) => void): () => void;
}

export class SeenRevisions {
  /** Ascending. */
  private readonly revisions: number[] = [];
  /** performance.now() when each of `revisions` was seen. */
  private readonly seenAtMs: number[] = [];
  /** The highest revision dropped to stay within `capacity`: nothing is known at or below it. */
  private forgottenUpTo = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly capacity = 10_000) {}

  follow(cache: RevisionUpdates): void {
    this.unsubscribe ??= cache.onUpdate((u) => this.saw(u.revision, performance.now()));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  saw(revision: number, atMs: number): void {
    const last = this.revisions[this.revisions.length - 1];
    // The same revision again (a relist that found nothing new) keeps the time it was first seen.
    if (last === revision) return;
    if (last !== undefined && revision < last) {
      // The store went backwards (a restore): the revisions seen before mean nothing now.
      this.revisions.length = 0;
      this.seenAtMs.length = 0;
      this.forgottenUpTo = 0;
    }
    this.revisions.push(revision);
    this.seenAtMs.push(atMs);
    if (this.revisions.length > this.capacity) {
      const drop = this.revisions.length - Math.floor(this.capacity / 2);
      this.forgottenUpTo = this.revisions[drop - 1]!;
      this.revisions.splice(0, drop);
      this.seenAtMs.splice(0, drop);
    }
  }

  /**
   * When the oldest revision above `after`, and at most `upTo`, was seen: the oldest change a proxy
   * synced at `after` lacked until it synced `upTo`. Undefined when no such revision was seen, or when
   * it may have been forgotten.
   */
  firstSeenAfter(after: number, upTo: number): number | undefined {
    if (after < this.forgottenUpTo) return undefined;
    let low = 0;
    let high = this.revisions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.revisions[mid]! <= after) low = mid + 1;
      else high = mid;
    }
    return low < this.revisions.length && this.revisions[low]! <= upTo ? this.seenAtMs[low] : undefined;
  }
}
