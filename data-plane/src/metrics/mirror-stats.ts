// Counts of mirrored requests (Forward.mirrors, mesh/request-mirror.ts) by route, shadow cluster and
// result, for sluice_proxy_mirrored_requests_total: plain numbers on the request path, read when
// scraped. One per process; the primary sums its workers'.

/** How a mirrored copy ended: answered (any status), failed (error or timeout), or skipped (not sent). */
export type MirrorResult = 'answered' | 'failed' | 'skipped';

export interface MirrorCount {
  readonly route: string;
  readonly cluster: string;
  readonly result: MirrorResult;
  value: number;
}

export class MirrorStats {
  private readonly counts = new Map<string, MirrorCount>();

  add(route: string, cluster: string, result: MirrorResult): void {
    const key = `${route}\u0000${cluster}\u0000${result}`;
    const c = this.counts.get(key);
    if (c !== undefined) c.value++;
    else this.counts.set(key, { route, cluster, result, value: 1 });
  }

  values(): Iterable<MirrorCount> {
    return this.counts.values();
  }
}
