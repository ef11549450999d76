// The LeaseStore on etcd: leases kept alive through any member (etcd-lease-keeper.ts), fenced writes as
// one txn tried on member after member, and prefix watches that read the prefix again after any
// interruption (these keys are few and small, so a fresh read is simpler and safer than resuming;
// see etcd-watch.ts for why resuming is hard).
import { CompareResult, CompareTarget, EtcdLeaseInvalidError, Range, type Etcd3, type ICompare, type IRequestOp, type IWatchResponse, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { Fence } from './fence.js';
import { toStoreError } from './etcd-errors.js';
import { callWithFailover, type CallBudget } from './etcd-failover.js';
import { EtcdLeaseKeeper } from './etcd-lease-keeper.js';
import type { Lease, LeaseStore, PrefixWatchHandlers } from './lease-store.js';

const REGRANT_DELAY_MS = 500;
const REWATCH_DELAY_MS = 500;

export class EtcdLeaseStore implements LeaseStore {
  constructor(private readonly client: Etcd3, private readonly budget: CallBudget, private readonly log?: Logger) {}

  grant(ttlSeconds: number): Lease {
    return new RenewingLease(this.client, this.budget, ttlSeconds, this.log);
  }

  watchPrefix(prefix: string, handlers: PrefixWatchHandlers): { close(): Promise<void> } {
    return new PrefixWatch(this.client, this.budget, prefix, handlers, this.log);
  }
}

/** The create_revision compare that fences a write. */
function fenceCompare(fence: Fence): ICompare {
  return { key: Buffer.from(fence.key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: String(fence.createRevision) };
}

class RenewingLease implements Lease {
  /** The current grant: puts wait on it and fail with it. */
  private id!: Promise<string>;
  private keeper: EtcdLeaseKeeper | undefined;
  private released = false;
  private readonly lost: Array<() => void> = [];

  constructor(private readonly client: Etcd3, private readonly budget: CallBudget, readonly ttlSeconds: number, private readonly log: Logger | undefined) {
    this.grant(false);
  }

  /**
   * Grants a lease and keeps it alive. When the grant fails (etcd unreachable) puts waiting on it
   * fail, so their callers retry, and the next grant follows after a pause. Once a grant succeeds
   * after a failed or lost one, the owners write their keys again (onLost).
   */
  private grant(again: boolean): void {
    const grantedAt = Date.now();
    const id = callWithFailover('grant a lease', this.budget, (deadline) => this.client.leaseClient.leaseGrant({ TTL: this.ttlSeconds }, { deadline }))
      .then(({ ID }) => {
        if (this.released) {
          void this.revokeId(ID);
          throw new Error('the lease was released');
        }
        this.keeper = new EtcdLeaseKeeper({ client: this.client, leaseId: ID, ttlSeconds: this.ttlSeconds, grantedAt, log: this.log, onGone: () => this.gone(ID) });
        return ID;
      });
    this.id = id;
    id.then(() => {
      if (again && !this.released) for (const l of this.lost) l();
    }, (err: unknown) => {
      if (this.released || this.id !== id) return;
      this.log?.warn({ err }, 'cannot grant an etcd lease; trying again');
      setTimeout(() => {
        if (!this.released && this.id === id) this.grant(true);
      }, REGRANT_DELAY_MS).unref();
    });
  }

  /** etcd says the lease is gone (it expired while no renewal got through): its keys are gone too. */
  private gone(leaseId: string): void {
    if (this.released || this.keeper?.leaseId !== leaseId) return;
    this.keeper.stop();
    this.keeper = undefined;
    this.log?.warn({ leaseId }, 'etcd lease lost; granting a new one and writing its keys again');
    // The keys are written again only once a new lease exists: before that every put would fail,
    // and a writer that gives up on a failed rewrite would forget the key for good.
    setTimeout(() => {
      if (!this.released) this.grant(true);
    }, REGRANT_DELAY_MS).unref();
  }

  put(key: string, value: string, fence?: Fence): Promise<boolean> {
    return this.txn(`write ${key}`, fence, (id) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value), lease: id } }));
  }

  delete(key: string, fence?: Fence): Promise<boolean> {
    return this.txn(`delete ${key}`, fence, () => ({ request_delete_range: { key: Buffer.from(key) } }));
  }

  /**
   * One op in a transaction, fenced when asked, on member after member: writing the same key and value
   * (or deleting it) twice is the same as once, so an attempt whose answer was lost is safe to repeat.
   */
  private async txn(what: string, fence: Fence | undefined, op: (leaseId: string) => IRequestOp): Promise<boolean> {
    try {
      const id = await this.id;
      const res = await callWithFailover(what, this.budget, (deadline) =>
        this.client.kv.txn({ compare: fence === undefined ? [] : [fenceCompare(fence)], success: [op(id)] }, { deadline }));
      return res.succeeded;
    } catch (err) {
      if (err instanceof EtcdLeaseInvalidError) void this.id.then((id) => this.gone(id), () => undefined);
      throw toStoreError(err, what);
    }
  }

  release(): void {
    this.released = true;
    this.keeper?.stop();
  }

  async revoke(): Promise<void> {
    this.released = true;
    this.keeper?.stop();
    const id = await this.id.catch(() => undefined);
    if (id !== undefined) await this.revokeId(id);
  }

  private async revokeId(id: string): Promise<void> {
    try {
      await callWithFailover('revoke a lease', this.budget, (deadline) => this.client.leaseClient.leaseRevoke({ ID: id }, { deadline }));
    } catch (err) {
      // Already gone, or etcd unreachable: either way the lease expires by itself after its TTL.
      if (!(err instanceof EtcdLeaseInvalidError)) this.log?.warn({ err }, 'cannot revoke an etcd lease; it will expire');
    }
  }

  onLost(listener: () => void): void {
    this.lost.push(listener);
  }
}

class PrefixWatch {
  private watcher: Watcher | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly client: Etcd3, private readonly budget: CallBudget, private readonly prefix: string, private readonly handlers: PrefixWatchHandlers, private readonly log: Logger | undefined) {
    void this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.stopWatcher();
  }

  private async start(): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    await this.stopWatcher();
    let revision: number;
    const entries = new Map<string, string>();
    try {
      const range = Range.prefix(this.prefix);
      const res = await callWithFailover(`read ${this.prefix}`, this.budget, (deadline) => this.client.kv.range({ key: range.start, range_end: range.end }, { deadline }));
      for (const kv of res.kvs) entries.set(kv.key.toString(), kv.value.toString());
      revision = Number(res.header.revision);
    } catch (err) {
      this.retry(gen, err);
      return;
    }
    if (this.closed || gen !== this.generation) return;
    this.safely(() => this.handlers.onReset(entries));
    const watcher = this.client.watch().prefix(this.prefix).startRevision(String(revision + 1)).watcher();
    this.watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => {
      if (this.watcher !== watcher) return;
      for (const ev of res.events) {
        const key = ev.kv.key.toString();
        const value = ev.type === 'Delete' ? undefined : ev.kv.value.toString();
        this.safely(() => this.handlers.onChange(key, value));
      }
    });
    // Events may have been missed while disconnected: read the whole prefix again.
    watcher.on('disconnected', (err: unknown) => this.watcher === watcher && this.retry(gen, err));
    watcher.on('error', (err: unknown) => this.watcher === watcher && this.retry(gen, err));
  }

  private retry(gen: number, err: unknown): void {
    if (this.closed || gen !== this.generation) return;
    this.log?.debug({ err, prefix: this.prefix }, 'lease prefix watch interrupted; reading it again');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.start(), REWATCH_DELAY_MS);
  }

  private async stopWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    if (w === undefined) return;
    await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log?.error({ err }, 'a lease prefix watch handler threw');
    }
  }
}
