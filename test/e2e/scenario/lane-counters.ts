// Counts for one stream of load ("lane": one protocol against one listener of one proxy). Every
// outcome lands in exactly one bucket, so nothing can hide: started = ok + failed + expected +
// routedAway + changedListener once the lane has stopped.
export type ListenerKind = 'unchanged' | 'changed';

/** One request or session as it ended: when it started and on which client connection, when the lane knows. */
export interface Attempt {
  readonly startedAt: number;
  /** The client's local TCP port of the connection it went on (tells which proxy worker held it). */
  readonly localPort?: number;
}

export type OutcomeKind = 'ok' | 'failed' | 'expected' | 'routedAway' | 'changedListener';

export interface Outcome extends Attempt {
  readonly kind: OutcomeKind;
  readonly endedAt: number;
  /** A connection-level end (reset, refused, hang-up, stream reset, close 1006) rather than a wrong answer. */
  readonly reset: boolean;
  readonly message?: string;
  /** Why a failure was inevitable (kind `expected`). */
  readonly excuse?: string;
}

/** Watches a lane's outcomes: may excuse a failure it can prove inevitable, and sees every outcome. */
export interface LaneObserver {
  /** For a failure: why it could not have been avoided (it then counts as `expected`), else undefined. */
  excuse?(lane: LaneCounters, failure: Omit<Outcome, 'kind' | 'excuse'>): string | undefined;
  settled?(lane: LaneCounters, outcome: Outcome): void;
}

export class LaneCounters {
  started = 0;
  ok = 0;
  /** Real failures: a wrong status, a wrong body, an error. */
  failed = 0;
  /** Of `failed`: connection-level ends (reset, refused, hang-up, stream reset, close 1006). */
  resets = 0;
  /** Failures the observer proved inevitable (e.g. in flight on a connection of a killed process), by reason. */
  expected = 0;
  readonly expectedReasons = new Map<string, number>();
  /** Traffic to a route removed on purpose, answered by the proxy's no-route 404 after the removal. */
  routedAway = 0;
  /** Failures on the listener added and removed on purpose, after its removal was sent. */
  changedListener = 0;
  /** Idempotent requests sent again because a reused keep-alive connection closed before any response byte (RFC 9112 §9.3.1), or HTTP/2 streams the server refused unprocessed (REFUSED_STREAM, GOAWAY). */
  retries = 0;
  readonly samples: string[] = [];
  /** What the first retries were sent again after, and when. */
  readonly retrySamples: string[] = [];

  constructor(readonly name: string, readonly listener: ListenerKind, private readonly observer: LaneObserver = {}) {}

  get finished(): number {
    return this.ok + this.failed + this.expected + this.routedAway + this.changedListener;
  }

  retried(err: unknown): void {
    this.retries++;
    if (this.retrySamples.length < 3) this.retrySamples.push(`${new Date().toISOString()} ${describe(err)}`);
  }

  succeeded(attempt: Attempt = { startedAt: Date.now() }): void {
    this.ok++;
    this.settle({ ...attempt, kind: 'ok', endedAt: Date.now(), reset: false });
  }

  routedAwayOne(attempt: Attempt): void {
    this.routedAway++;
    this.settle({ ...attempt, kind: 'routedAway', endedAt: Date.now(), reset: false });
  }

  changedListenerOne(attempt: Attempt): void {
    this.changedListener++;
    this.settle({ ...attempt, kind: 'changedListener', endedAt: Date.now(), reset: false });
  }

  /** Records a failure; `reset` when the connection or stream was cut rather than answered. */
  fail(message: string, reset: boolean, attempt: Attempt = { startedAt: Date.now() }): void {
    const failure = { ...attempt, endedAt: Date.now(), reset, message };
    const excuse = this.observer.excuse?.(this, failure);
    if (excuse !== undefined) {
      this.expected++;
      this.expectedReasons.set(excuse, (this.expectedReasons.get(excuse) ?? 0) + 1);
      return this.settle({ ...failure, kind: 'expected', excuse });
    }
    this.failed++;
    if (reset) this.resets++;
    if (this.samples.length < 5) this.samples.push(`${new Date().toISOString()} ${message}`);
    this.settle({ ...failure, kind: 'failed' });
  }

  private settle(outcome: Outcome): void {
    this.observer.settled?.(this, outcome);
  }
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_SESSION_ERROR', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Whether an error is the connection (or stream) being cut, as opposed to a wrong answer. */
export function isReset(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return RESET_CODES.has(e?.code ?? '') || /socket hang up|aborted|reset/i.test(e?.message ?? '');
}

export function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim();
}

/** A loop that runs `once` until `running()` is false, paced to `perSecond` starts. */
export async function paced(perSecond: number, running: () => boolean, once: () => Promise<void>): Promise<void> {
  const gapMs = 1000 / perSecond;
  // A random phase: independent clients are not in step, so loops must not all fire at once.
  let next = Date.now() + Math.random() * gapMs;
  await new Promise((r) => setTimeout(r, next - Date.now()));
  while (running()) {
    await once();
    next += gapMs;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else next = Date.now(); // behind: do not burst to catch up
  }
}
