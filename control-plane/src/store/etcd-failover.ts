// One etcd call tried on member after member within one deadline: each attempt has a short deadline
// of its own, so a member that died or hangs costs one attempt, not the whole call; the client's
// per-member circuits (etcd-client.ts) send the next attempt to another member.
//
// etcd's Go client retries the same way (clientv3's retry interceptor: another endpoint on
// UNAVAILABLE), but repeats a write only when it provably was never sent. Here the caller decides: reads
// are always safe to repeat; the resource commit is a compare-and-swap whose repetition etcd-commit.ts
// reconciles.
import { isBrokenCircuitError } from 'cockatiel';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { credentialsProblem, describeEtcdError, isRetryable, provesNotSent, refusedAddress } from './etcd-errors.js';

export interface CallBudget {
  /** The deadline of one attempt on one member (ms). */
  readonly attemptTimeoutMs: number;
  /** The whole call, every attempt and pause included (ms). */
  readonly requestTimeoutMs: number;
  /**
   * How many members the client knows. Once every one of them refused a connection during the call
   * (nothing listens anywhere), it fails at once rather than at its deadline.
   */
  readonly members: number;
}

export interface FailoverOptions {
  /** Absolute end of the call (Date.now() ms); default now + budget.requestTimeoutMs. */
  readonly deadline?: number;
  /** When the call runs out of time: words added to the message (e.g. that a write may have landed). */
  readonly onExhausted?: () => string | undefined;
}

/** Pauses between attempts: the first retry goes (to another member) almost at once. */
const PAUSE_MIN_MS = 10;
const PAUSE_MAX_MS = 400;
/** An attempt with less time than this left is not worth making. */
const MIN_ATTEMPT_MS = 20;

/**
 * Runs `attempt(deadline)` until it resolves, fails with an error that is not retryable (rethrown as
 * is), or the call's time is up: then throws SLUICE_STORE_UNAVAILABLE naming the action, the time,
 * the attempts and the last error etcd gave (its cause, for the logs).
 */
export async function callWithFailover<T>(action: string, budget: CallBudget, attempt: (deadline: number) => Promise<T>, options: FailoverOptions = {}): Promise<T> {
  const started = Date.now();
  const deadline = options.deadline ?? started + budget.requestTimeoutMs;
  let attempts = 0;
  let lastError: unknown;
  /** The last error a member gave, rather than "skipped: its circuit is open". */
  let lastAnswer: unknown;
  /** The last error from a member the request reached: the most telling (a live member's "no leader"). */
  let lastReached: unknown;
  const refusedBy = new Set<string>();
  /** Attempts that etcd refused for our credentials: no wait cures that, so the call ends soon. */
  let credentialRefusals = 0;
  for (let pauseMs = PAUSE_MIN_MS; ; pauseMs = Math.min(pauseMs * 2, PAUSE_MAX_MS)) {
    attempts++;
    try {
      return await attempt(Math.min(Date.now() + budget.attemptTimeoutMs, deadline));
    } catch (err) {
      if (!isRetryable(err)) throw err;
      lastError = err;
      if (!isBrokenCircuitError(err)) lastAnswer = err;
      if (!provesNotSent(err)) lastReached = err;
      const refused = refusedAddress(err);
      if (refused !== undefined) refusedBy.add(refused);
      if (credentialsProblem(err) !== undefined) credentialRefusals++;
    }
    // Two refusals per member: each had its chance (the circuits send attempts to the others first).
    if (credentialRefusals >= 2 * budget.members) break;
    // Skipped members (open circuits) prove nothing: they may have answered "no leader" during an
    // election. Every member refusing a connection does: nothing listens.
    if (refusedBy.size >= budget.members) break;
    if (Date.now() + pauseMs + MIN_ATTEMPT_MS > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  const cause = lastReached ?? lastAnswer ?? lastError;
  const extra = options.onExhausted?.();
  const refused = credentialsProblem(cause);
  if (refused !== undefined) {
    return Promise.reject(new ControlPlaneError(ErrorCode.StoreRefused,
      `cannot ${action}: ${refused}${extra === undefined ? '' : `; ${extra}`}`, { cause }));
  }
  return Promise.reject(new ControlPlaneError(ErrorCode.StoreUnavailable,
    `etcd is unavailable: could not ${action} within ${Date.now() - started} ms (${attempts} attempt${attempts === 1 ? '' : 's'}; last error: ${describeEtcdError(cause)})${extra === undefined ? '' : `; ${extra}`}`,
    { cause }));
}
