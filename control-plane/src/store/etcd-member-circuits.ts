// One circuit per etcd member, so a member that died or hangs stops costing every call an attempt;
// and a panic rule, so circuits never keep Sluice away from an etcd that is back.
//
// A member fault (UNAVAILABLE, DEADLINE_EXCEEDED) opens the member's circuit: calls go to the other
// members. After a pause (250 ms, doubling up to 5 s while the member keeps failing) one call at a
// time probes it again; a probe that gets any answer closes the circuit. When every member's circuit
// is open, as after a whole-cluster outage or while etcd elects a leader, the circuits hold nothing
// back: calls go to any member, as Envoy routes to every host once too many are ejected (its panic
// threshold). Without that rule the first call after etcd comes back waited for a circuit's pause, up
// to 5 s, and writes were refused for that long though etcd answered.
import { BrokenCircuitError, EventEmitter, type IDefaultPolicyContext, type IFailureEvent, type IPolicy, type ISuccessEvent } from 'cockatiel';
import { isMemberFault } from './etcd-errors.js';

export interface MemberCircuitOptions {
  /** The first pause after a fault (default 250 ms). */
  readonly minOpenMs?: number;
  /** The longest pause, reached by doubling while probes keep failing (default 5000 ms). */
  readonly maxOpenMs?: number;
  /** The clock (default Date.now). */
  readonly now?: () => number;
}

const DEFAULT_MIN_OPEN_MS = 250;
const DEFAULT_MAX_OPEN_MS = 5000;

/** The circuits of one client's members; `policyFor` gives etcd3 the one of each member. */
export class MemberCircuits {
  private readonly circuits: MemberCircuit[] = [];

  readonly now: () => number;

  constructor(private readonly options: MemberCircuitOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  policyFor(member: string): IPolicy<IDefaultPolicyContext> {
    const circuit = new MemberCircuit(member, this, this.options.minOpenMs ?? DEFAULT_MIN_OPEN_MS, this.options.maxOpenMs ?? DEFAULT_MAX_OPEN_MS, this.now);
    this.circuits.push(circuit);
    return circuit;
  }

  /** True when no member would take a call: then every one does (panic). */
  panicking(now = this.now()): boolean {
    return this.circuits.length > 0 && this.circuits.every((c) => !c.admits(now));
  }
}

class MemberCircuit implements IPolicy<IDefaultPolicyContext> {
  declare readonly _altReturn: never;
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  readonly onSuccess = this.successEmitter.addListener;
  readonly onFailure = this.failureEmitter.addListener;
  /** Closed while 0; otherwise calls are held back until then (Date.now() ms). */
  private openUntil = 0;
  /** The pause the next fault opens the circuit for. */
  private nextOpenMs: number;
  /** A probe of the open member is under way: other calls keep away until it ends. */
  private probing = false;

  constructor(readonly member: string, private readonly group: MemberCircuits, private readonly minOpenMs: number, private readonly maxOpenMs: number, private readonly now: () => number) {
    this.nextOpenMs = minOpenMs;
  }

  /** Whether a call made now would reach this member, panic aside. */
  admits(now: number): boolean {
    return this.openUntil === 0 || (now >= this.openUntil && !this.probing);
  }

  async execute<T>(fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T, signal: AbortSignal = new AbortController().signal): Promise<T> {
    const now = this.now();
    const probe = this.openUntil !== 0;
    if (!this.admits(now) && !this.group.panicking(now)) throw new BrokenCircuitError(`etcd member ${this.member} failed just before; its circuit is open`);
    if (probe) this.probing = true;
    const started = this.now();
    try {
      const value = await fn({ signal });
      this.answered();
      this.successEmitter.emit({ duration: this.now() - started });
      return value;
    } catch (err) {
      if (isMemberFault(err)) {
        this.faulted();
        this.failureEmitter.emit({ duration: this.now() - started, handled: true, reason: { error: err as Error } });
      } else {
        this.answered();
      }
      throw err;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** The member answered: closed, and the next fault starts again from the shortest pause. */
  private answered(): void {
    this.openUntil = 0;
    this.nextOpenMs = this.minOpenMs;
  }

  private faulted(): void {
    this.openUntil = this.now() + this.nextOpenMs;
    this.nextOpenMs = Math.min(this.nextOpenMs * 2, this.maxOpenMs);
  }
}
