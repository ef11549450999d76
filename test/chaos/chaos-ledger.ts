// What the chaos run counts, by phase: the requests the load sent (as they ended: ok, failed, or
// failed inevitably, with the reason) and the configuration changes (applies) with their latency.
// A phase is an event with its disturbance, its recovery and the quiet time after it (or the warm-up,
// or the settling at the end). A request belongs to the phase in progress when it ended, so a
// stream that lived through an event counts where the event could have cut it; a change belongs to
// the phase in progress when it was sent.
import type { ChangeAnswer } from '../e2e/scenario/change-driver.js';
import type { LaneCounters, LaneObserver, Outcome } from '../e2e/scenario/lane-counters.js';

/** Says why a failure was inevitable, or undefined (the failure then counts as a real one). */
export type Excuse = (lane: LaneCounters, failure: Omit<Outcome, 'kind' | 'excuse'>) => string | undefined;

export interface Phase {
  readonly name: string;
  readonly startedAt: number;
  requests: number;
  ok: number;
  failed: number;
  expected: number;
  readonly expectedReasons: Map<string, number>;
  readonly failureSamples: string[];
  /** Failures by lane kind (the lane's name without its proxy): where they went. */
  readonly failedByLane: Map<string, number>;
  applies: number;
  appliesOk: number;
  appliesRefused: number;
  readonly applyMs: number[];
  readonly refusalSamples: string[];
}

export class ChaosLedger {
  readonly phases: Phase[] = [];
  private readonly excuses: Excuse[] = [];

  constructor(first: string, at = Date.now()) {
    this.enter(first, at);
  }

  /** A new phase starts now: requests and changes started from now on are counted in it. */
  enter(name: string, at = Date.now()): Phase {
    const phase: Phase = {
      name, startedAt: at, requests: 0, ok: 0, failed: 0, expected: 0, expectedReasons: new Map(), failureSamples: [], failedByLane: new Map(),
      applies: 0, appliesOk: 0, appliesRefused: 0, applyMs: [], refusalSamples: [],
    };
    this.phases.push(phase);
    return phase;
  }

  phaseAt(t: number): Phase {
    for (let i = this.phases.length - 1; i > 0; i--) if (this.phases[i]!.startedAt <= t) return this.phases[i]!;
    return this.phases[0]!;
  }

  /** From now on failures `excuse` explains count as expected (an event registers what its kill makes inevitable). */
  allow(excuse: Excuse): void {
    this.excuses.push(excuse);
  }

  /** The observer every lane of the run reports to. */
  readonly observer: LaneObserver = {
    excuse: (lane, failure) => {
      for (const e of this.excuses) {
        const why = e(lane, failure);
        if (why !== undefined) return why;
      }
      return undefined;
    },
    settled: (lane, o) => {
      const p = this.phaseAt(o.endedAt);
      p.requests++;
      if (o.kind === 'ok') p.ok++;
      else if (o.kind === 'expected') {
        p.expected++;
        p.expectedReasons.set(o.excuse!, (p.expectedReasons.get(o.excuse!) ?? 0) + 1);
      } else if (o.kind === 'failed') {
        p.failed++;
        const kind = lane.name.replace(/ p\d+$/, '');
        p.failedByLane.set(kind, (p.failedByLane.get(kind) ?? 0) + 1);
        if (p.failureSamples.length < 6) p.failureSamples.push(`${new Date(o.endedAt).toISOString()} ${lane.name}: ${o.message}`);
      }
    },
  };

  /** ChangeDriver's onAnswer. */
  readonly onApply = (a: ChangeAnswer): void => {
    const p = this.phaseAt(a.sentAt);
    p.applies++;
    p.applyMs.push(a.ms);
    if (a.ok) p.appliesOk++;
    else {
      p.appliesRefused++;
      if (p.refusalSamples.length < 4) p.refusalSamples.push(`${new Date(a.sentAt).toISOString()} ${a.kind} after ${a.ms} ms: ${a.problem}`);
    }
  };
}

/** The nearest-rank percentile `q` (0..1) of `values`; undefined when empty. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
