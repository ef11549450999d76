// Requests, 5xx and latency buckets added up over one window: of one route, one cluster, one
// service-to-cluster edge or the whole mesh. Plain numbers (fractions when a summary straddles two
// windows); merging is element-wise addition, so the order summaries and replicas arrive in does not matter.
import { LATENCY_BOUNDS_S } from '../../../proto/src/wire/traffic-limits.js';

/** Buckets per histogram: one per bound, then +Inf. */
export const LATENCY_SLOTS = LATENCY_BOUNDS_S.length + 1;
const FIVE_XX = 5;

export class TrafficTally {
  requests = 0;
  /** 5xx answers: upstream ones and the proxy's own (no route to a healthy endpoint, timeouts, breakers). */
  errors = 0;
  readonly latency = new Float64Array(LATENCY_SLOTS);

  /** Adds `fraction` of one wire entry (TrafficCounts: six status classes, LATENCY_SLOTS buckets or none). */
  addWire(byClass: readonly number[], buckets: readonly number[], fraction: number, withLatency: boolean): void {
    let requests = 0;
    for (let i = 0; i < byClass.length; i++) requests += byClass[i]!;
    this.requests += requests * fraction;
    this.errors += (byClass[FIVE_XX] ?? 0) * fraction;
    if (!withLatency) return;
    const l = this.latency;
    for (let i = 0; i < buckets.length; i++) l[i]! += buckets[i]! * fraction;
  }

  merge(other: TrafficTally): void {
    this.requests += other.requests;
    this.errors += other.errors;
    for (let i = 0; i < LATENCY_SLOTS; i++) this.latency[i]! += other.latency[i]!;
  }

  /** Compact form for the store: [requests, errors, ...latency], trailing zero buckets left out. */
  encode(): number[] {
    let last = LATENCY_SLOTS;
    while (last > 0 && this.latency[last - 1] === 0) last--;
    const out = [round(this.requests), round(this.errors)];
    for (let i = 0; i < last; i++) out.push(round(this.latency[i]!));
    return out;
  }

  static decode(value: unknown): TrafficTally {
    if (!Array.isArray(value) || value.length < 2 || value.length > LATENCY_SLOTS + 2 || !value.every((n) => typeof n === 'number' && n >= 0)) throw new Error('not a tally');
    const t = new TrafficTally();
    t.requests = value[0] as number;
    t.errors = value[1] as number;
    for (let i = 2; i < value.length; i++) t.latency[i - 2] = value[i] as number;
    return t;
  }
}

/** Counts are fractional where a summary straddles windows: a thousandth keeps them exact enough and short. */
function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
