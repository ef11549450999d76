// The embedded store's election: one process is the whole control plane, so it always leads. It keeps
// the LeaderElection contract (a fence, change events, step-down on a refused write) so the checker
// runs the same code on both stores.
import type { Fence } from './fence.js';
import { HEALTH_CHECKER_ELECTION_KEY, newReplicaId, sameFence, type LeaderElection } from './leader-election.js';

export class EmbeddedElection implements LeaderElection {
  readonly id: string;
  private readonly key: string;
  private current: Fence | undefined;
  private term = 0;
  private readonly listeners = new Set<(fence: Fence | undefined) => void>();
  private stopped = false;
  /** The embedded lease store's fence keys (EmbeddedLeaseStore.fences): fenced writes check them. */
  private readonly fences: Map<string, number> | undefined;

  constructor(options: { id?: string; key?: string; fences?: Map<string, number> } = {}) {
    this.id = options.id ?? newReplicaId();
    this.key = options.key ?? HEALTH_CHECKER_ELECTION_KEY;
    this.fences = options.fences;
  }

  get fence(): Fence | undefined {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.stopped || this.current !== undefined) return;
    this.win();
  }

  async verify(): Promise<boolean> {
    return this.current !== undefined;
  }

  onChange(listener: (fence: Fence | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nobody else can lead, so a refused write means a new term: step down, then win again. */
  deposed(fence: Fence): void {
    if (!sameFence(this.current, fence)) return;
    this.current = undefined;
    this.fences?.delete(this.key);
    this.notify(undefined);
    setImmediate(() => {
      if (!this.stopped) this.win();
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.current === undefined) return;
    this.current = undefined;
    this.fences?.delete(this.key);
    this.notify(undefined);
  }

  private win(): void {
    // Terms count up like etcd create revisions, so an old term's fence never matches a new one.
    this.term += 1;
    this.current = Object.freeze({ key: this.key, createRevision: this.term });
    // The election key as the lease store sees it: writes fenced by this term commit, older ones do not.
    this.fences?.set(this.key, this.term);
    this.notify(this.current);
  }

  private notify(fence: Fence | undefined): void {
    for (const listener of [...this.listeners]) queueMicrotask(() => listener(fence));
  }
}
