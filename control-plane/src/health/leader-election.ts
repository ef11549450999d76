// Which control-plane replica runs the health checks the control plane does itself: one
// leader among the replicas, elected through the store and proven by a Fence. This file is the
// contract; store/etcd-election.ts and store/embedded-election.ts implement it.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Fence } from './fence.js';

/** The one election key of the health checker; its value is the leader's replica id. */
export const HEALTH_CHECKER_ELECTION_KEY = '/sluice/leader/health-checker';
/**
 * The leader's lease: a leader that stops renewing it (crashed, cut off from etcd) loses its key
 * after this long, and another replica takes over. etcd's default minimum TTL is 5 s too.
 */
export const DEFAULT_LEADER_LEASE_TTL_SECONDS = 5;

/**
 * A replica's view of one election. It never reports leadership it cannot prove: `fence` is set only
 * while this replica's own key exists with the create revision it won with (checked by a watch on the
 * key, by polling, and by every fenced write) and while its lease is known to be alive.
 */
export interface LeaderElection {
  /** This replica's id, the value of the election key while it leads. */
  readonly id: string;
  /**
   * The proof of leadership while this replica leads, undefined otherwise. Becomes undefined at once
   * when the key is deleted or re-created by another, when etcd says the lease is gone, and when no
   * renewal got through (on any member: one member's death costs no term) for two thirds of the TTL,
   * before the lease could have expired on the server.
   */
  readonly fence: Fence | undefined;
  /**
   * Starts campaigning (and keeps campaigning until stop()). Resolves after the first round, so a
   * control plane that has started has already written its claim (or seen another's): the election
   * key does not land in the store at some later moment of its own.
   */
  start(): Promise<void>;
  /**
   * Reads the election key: true only when it holds this replica's id at the fence's create
   * revision. When it does not, this replica steps down before answering.
   */
  verify(): Promise<boolean>;
  /**
   * Called with the fence when this replica wins and with undefined when it steps down; never
   * synchronously from the call that changed it. Returns the unsubscribe function.
   */
  onChange(listener: (fence: Fence | undefined) => void): () => void;
  /**
   * A write fenced by `fence` was refused: this replica no longer leads. Steps down (if `fence` is still
   * the current one) and campaigns again.
   */
  deposed(fence: Fence): void;
  /** Steps down, ends the lease's keepalives and revokes the lease, so another replica wins at once. */
  stop(): Promise<void>;
}

/** `host-pid-random`: unique per process, readable in `etcdctl get /sluice/leader/health-checker`. */
export function newReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function sameFence(a: Fence | undefined, b: Fence | undefined): boolean {
  return a !== undefined && b !== undefined && a.key === b.key && a.createRevision === b.createRevision;
}

/**
 * Registers `sluice_health_checker_leader` (1 while this replica leads) and
 * `sluice_health_checker_elections_won_total` for `election` in `registry`.
 */
export function instrumentLeaderElection(election: LeaderElection, registry: Registry): () => void {
  new Gauge({
    name: 'sluice_health_checker_leader',
    help: 'Whether this replica is the elected leader that runs the control plane\'s own health checks (1) or not (0).',
    registers: [registry],
    collect() {
      this.set(election.fence === undefined ? 0 : 1);
    },
  });
  const won = new Counter({ name: 'sluice_health_checker_elections_won_total', help: 'Elections of the health-checker leader this replica won.', registers: [registry] });
  return election.onChange((fence) => {
    if (fence !== undefined) won.inc();
  });
}
