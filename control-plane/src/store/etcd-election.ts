// A leader election on etcd, written here rather than taken from etcd3's Election helper: that one can
// report a leader that no longer is one, and its close() leaves lease keepalives running.
//
// Campaign: grant a lease, then one txn "create_revision(key) == 0 → put key = id with the lease". The
// winner's fence is {key, create revision}. Leadership is checked by our own key, never by asking who
// leads: a watch on the key and a poll step down the moment it is deleted or re-created. The lease is
// renewed through any member (etcd-lease-keeper.ts), so a member's death costs no term; the leader
// steps down when no renewal got through for two thirds of the TTL, always a third of the TTL before
// the lease could have expired on the server. Followers campaign when the key is deleted (watch), and
// every poll in case the watch missed it.
import { CompareResult, CompareTarget, type Etcd3, type IKeyValue, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { Fence } from './fence.js';
import { DEFAULT_LEADER_LEASE_TTL_SECONDS, HEALTH_CHECKER_ELECTION_KEY, newReplicaId, sameFence, type LeaderElection } from './leader-election.js';
import { createEtcdClient, type EtcdCredentials } from './etcd-client.js';
import { callWithFailover, type CallBudget } from './etcd-failover.js';
import { EtcdLeaseKeeper } from './etcd-lease-keeper.js';

export interface EtcdElectionOptions {
  readonly endpoints: readonly string[];
  readonly credentials?: EtcdCredentials;
  /** Default: host-pid-random. */
  readonly id?: string;
  /** Default HEALTH_CHECKER_ELECTION_KEY. */
  readonly key?: string;
  /** Default 5 (DEFAULT_LEADER_LEASE_TTL_SECONDS). */
  readonly leaseTtlSeconds?: number;
  /** How often a follower checks the key and a leader re-reads its own (default 1000). */
  readonly pollMs?: number;
  /** Deadline of each unary etcd call, every member tried (default 1500, well under the TTL). */
  readonly callTimeoutMs?: number;
  readonly log?: Logger;
}

/** start() waits this long at most for its first round (a few unary calls, each bounded by callTimeoutMs). */
const FIRST_ROUND_WAIT_MS = 3000;

interface Term {
  readonly fence: Fence;
  /** Renews the lease; knows until when it is certainly alive on the server. */
  readonly keeper: EtcdLeaseKeeper;
  readonly checkTimer: NodeJS.Timeout;
}

export class EtcdElection implements LeaderElection {
  readonly id: string;
  private readonly key: string;
  private readonly keyBytes: Buffer;
  private readonly ttlSeconds: number;
  private readonly pollMs: number;
  private readonly log: Logger | undefined;
  private readonly client: Etcd3;
  private readonly budget: CallBudget;
  private readonly listeners = new Set<(fence: Fence | undefined) => void>();
  private term: Term | undefined;
  private watcher: Watcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private busy = false;
  /** A replica that just stepped down leaves the next term to the others for one poll interval. */
  private campaignNotBefore = 0;
  private started = false;
  private stopped = false;

  constructor(options: EtcdElectionOptions) {
    this.id = options.id ?? newReplicaId();
    this.key = options.key ?? HEALTH_CHECKER_ELECTION_KEY;
    this.keyBytes = Buffer.from(this.key);
    this.ttlSeconds = options.leaseTtlSeconds ?? DEFAULT_LEADER_LEASE_TTL_SECONDS;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 1) throw new RangeError(`leaseTtlSeconds must be a whole number of seconds >= 1, got ${this.ttlSeconds}`);
    this.pollMs = options.pollMs ?? 1000;
    this.log = options.log;
    const callTimeoutMs = options.callTimeoutMs ?? 1500;
    this.budget = { requestTimeoutMs: callTimeoutMs, attemptTimeoutMs: Math.max(250, Math.floor(callTimeoutMs / 2)), members: options.endpoints.length };
    // An own connection (built as etcd-store.ts builds its one): the election's fate must not depend
    // on the resource watch, and closing it ends every keepalive.
    this.client = createEtcdClient(options.endpoints, { attemptTimeoutMs: this.budget.attemptTimeoutMs, credentials: options.credentials });
  }

  get fence(): Fence | undefined {
    const term = this.term;
    return term !== undefined && Date.now() < term.keeper.validUntil ? term.fence : undefined;
  }

  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.watchKey();
    this.pollTimer = setInterval(() => void this.tick(), this.pollMs);
    // The first round, bounded: with etcd unreachable the polls go on campaigning in the background.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([this.tick(), new Promise<void>((resolve) => (bound = setTimeout(resolve, FIRST_ROUND_WAIT_MS)))]);
    clearTimeout(bound);
  }

  onChange(listener: (fence: Fence | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async verify(): Promise<boolean> {
    const term = this.term;
    if (term === undefined) return false;
    let kv: IKeyValue | undefined;
    try {
      kv = (await this.call('read the election key', (deadline) => this.client.kv.range({ key: this.keyBytes }, { deadline }))).kvs[0];
    } catch (err) {
      // Unreachable etcd proves nothing either way; the keepalive loop steps down if it lasts.
      this.log?.debug({ err }, 'could not read the election key');
      return this.fence !== undefined && this.term === term;
    }
    if (this.term !== term) return false;
    if (!this.holds(kv, term.fence)) {
      this.stepDown(kv === undefined ? 'the election key is gone' : 'the election key belongs to another term');
      return false;
    }
    return this.fence !== undefined;
  }

  deposed(fence: Fence): void {
    if (sameFence(this.term?.fence, fence)) this.stepDown('a fenced write was refused');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    const term = this.term;
    this.endTerm();
    const watcher = this.watcher;
    this.watcher = undefined;
    await Promise.race([watcher?.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    if (term !== undefined) {
      this.notify(undefined);
      await this.revoke(term.keeper.leaseId);
    }
    this.client.close();
  }

  private holds(kv: IKeyValue | undefined, fence: Fence): boolean {
    return kv !== undefined && kv.value.toString() === this.id && Number(kv.create_revision) === fence.createRevision;
  }

  /** One round: a leader re-reads its key; a follower campaigns when the key is free. */
  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (this.term !== undefined) await this.verify();
      else await this.campaign();
    } catch (err) {
      this.log?.debug({ err }, 'election round failed; trying again');
    } finally {
      this.busy = false;
    }
  }

  private async campaign(): Promise<void> {
    if (Date.now() < this.campaignNotBefore) return;
    const existing = await this.call('read the election key', (deadline) => this.client.kv.range({ key: this.keyBytes, count_only: true }, { deadline }));
    if (Number(existing.count) > 0 || this.stopped) return;
    const grantedAt = Date.now();
    const { ID: leaseId } = await this.call('grant the election lease', (deadline) => this.client.leaseClient.leaseGrant({ TTL: this.ttlSeconds }, { deadline }));
    let won = false;
    try {
      const res = await this.call('campaign', (deadline) => this.client.kv.txn({
        compare: [{ key: this.keyBytes, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key: this.keyBytes, value: Buffer.from(this.id), lease: leaseId } }],
        failure: [{ request_range: { key: this.keyBytes } }],
      }, { deadline }));
      // A campaign tried again after an attempt whose answer was lost fails its compare on its own
      // key when that attempt won: the key then holds our id under this very lease.
      const kv = res.responses[0]?.response_range?.kvs[0];
      const createRevision = res.succeeded ? Number(res.header.revision)
        : kv !== undefined && kv.value.toString() === this.id && kv.lease === leaseId ? Number(kv.create_revision) : undefined;
      won = createRevision !== undefined && !this.stopped;
      if (won) this.lead({ key: this.key, createRevision: createRevision! }, leaseId, grantedAt);
    } finally {
      // A lost race, a stop meanwhile, or a txn of unknown outcome: the lease must not outlive it.
      if (!won) await this.revoke(leaseId);
    }
  }

  private lead(fence: Fence, leaseId: string, grantedAt: number): void {
    const ttlMs = this.ttlSeconds * 1000;
    const keeper = new EtcdLeaseKeeper({
      client: this.client, leaseId, ttlSeconds: this.ttlSeconds, grantedAt, log: this.log,
      // Twice etcd's pace: the last answered renewal is then at most a sixth of the TTL old when a
      // member dies, which leaves half the TTL (not a third) to renew through another member, across
      // an etcd leader election, before the step-down below.
      renewEveryMs: ttlMs / 6,
      onGone: () => {
        if (this.term?.keeper === keeper) this.stepDown('the lease expired');
      },
    });
    // Renewals go out every sixth of the TTL, through another member when one fails; when none got
    // through for two thirds of it, step down: a third of the TTL before the lease could expire.
    const checkTimer = setInterval(() => {
      if (this.term?.keeper === keeper && Date.now() >= keeper.validUntil - ttlMs / 3) this.stepDown('no lease renewal got through in time');
    }, Math.max(50, ttlMs / 12));
    this.term = { fence, keeper, checkTimer };
    this.log?.info({ id: this.id, key: fence.key, createRevision: fence.createRevision }, 'elected leader of the health checks');
    this.notify(fence);
  }

  private stepDown(reason: string, err?: unknown): void {
    const term = this.term;
    if (term === undefined) return;
    this.endTerm();
    this.campaignNotBefore = Date.now() + this.pollMs;
    this.log?.warn({ id: this.id, reason, err }, 'stepped down as leader of the health checks');
    this.notify(undefined);
    // If the key is still ours (a keepalive merely went unanswered), revoking frees it at once.
    void this.revoke(term.keeper.leaseId);
  }

  private endTerm(): void {
    const term = this.term;
    if (term === undefined) return;
    this.term = undefined;
    clearInterval(term.checkTimer);
    term.keeper.stop();
  }

  private async revoke(leaseId: string): Promise<void> {
    try {
      await this.call('revoke the election lease', (deadline) => this.client.leaseClient.leaseRevoke({ ID: leaseId }, { deadline }));
    } catch (err) {
      // Unreachable etcd: the lease expires by itself within its TTL.
      this.log?.debug({ err, leaseId }, 'could not revoke the election lease');
    }
  }

  /** Followers campaign as soon as the key is deleted; a leader steps down as soon as its key is not its own. */
  private watchKey(): void {
    if (this.stopped) return;
    const watcher = this.client.watch().key(this.key).watcher();
    this.watcher = watcher;
    watcher.on('delete', () => {
      if (this.term !== undefined) this.stepDown('the election key was deleted');
      void this.tick();
    });
    watcher.on('put', (kv: IKeyValue) => {
      const term = this.term;
      if (term !== undefined && !this.holds(kv, term.fence)) this.stepDown('the election key belongs to another term');
    });
    // A canceled watch is replaced; meanwhile the poll covers for it.
    watcher.on('error', () => {
      if (this.watcher !== watcher) return;
      this.watcher = undefined;
      void watcher.cancel().catch(() => undefined);
      setTimeout(() => this.watchKey(), this.pollMs).unref();
    });
  }

  /** One unary call on member after member, within the election's call budget. */
  private call<T>(action: string, attempt: (deadline: number) => Promise<T>): Promise<T> {
    return callWithFailover(action, this.budget, attempt);
  }

  private notify(fence: Fence | undefined): void {
    for (const listener of [...this.listeners]) queueMicrotask(() => listener(fence));
  }
}
