// The LeaseStore on etcd: leases kept alive by etcd3's keepalive loop, fenced writes as one txn, and
// prefix watches that read the prefix again after any interruption (these keys are few and small,
// so a fresh read is simpler and safer than resuming; see etcd-watch.ts for why resuming is hard).
import { CompareResult, CompareTarget, Range, type Etcd3, type ICompare, type IRequestOp, type IWatchResponse, type Lease as EtcdLease, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { Fence } from '../health/fence.js';
import { toStoreError } from './etcd-errors.js';
import type { Lease, LeaseStore, PrefixWatchHandlers } from './lease-store.js';

const REGRANT_DELAY_MS = 500;
const REWATCH_DELAY_MS = 500;

export class EtcdLeaseStore implements LeaseStore {
  constructor(private readonly client: Etcd3, private readonly log?: Logger) {}

  grant(ttlSeconds: number): Lease {
    return new RenewingLease(this.client, ttlSeconds, this.log);
  }

  watchPrefix(prefix: string, handlers: PrefixWatchHandlers): { close(): Promise<void> } {
    return new PrefixWatch(this.client, prefix, handlers, this.log);
  }
}

/** The create_revision compare that fences a write. */
function fenceCompare(fence: Fence): ICompare {
  return { key: Buffer.from(fence.key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: String(fence.createRevision) };
}

class RenewingLease implements Lease {
  private lease!: EtcdLease;
  private id!: Promise<string>;
  private released = false;
  private readonly lost: Array<() => void> = [];

  constructor(private readonly client: Etcd3, readonly ttlSeconds: number, private readonly log: Logger | undefined) {
    this.renew();
  }

  private renew(): void {
    const lease = (this.lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true }));
    this.id = lease.grant();
    this.id.catch(() => undefined); // the 'lost' handler below takes over
    lease.on('lost', (err) => {
      if (this.released || lease !== this.lease) return;
      this.log?.warn({ err: err?.message }, 'etcd lease lost; granting a new one and writing its keys again');
      // Puts wait on the next grant and settle with it (a failed grant fails them, so callers retry;
      // it also emits 'lost' again, which schedules the next attempt). The delay keeps a dead etcd
      // from being asked in a tight loop.
      let settle: { resolve: (id: string) => void; reject: (err: unknown) => void } = { resolve: () => undefined, reject: () => undefined };
      this.id = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
      this.id.catch(() => undefined);
      setTimeout(() => {
        if (this.released) return settle.reject(new Error('the lease was released'));
        this.renew();
        // The keys are written again only once a new lease exists: before that every put would fail,
        // and a writer that gives up on a failed rewrite would forget the key for good.
        this.id.then((id) => {
          settle.resolve(id);
          if (!this.released) for (const l of this.lost) l();
        }, settle.reject);
      }, REGRANT_DELAY_MS).unref();
    });
  }

  put(key: string, value: string, fence?: Fence): Promise<boolean> {
    return this.txn(`write ${key}`, fence, async () => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value), lease: await this.id } }));
  }

  delete(key: string, fence?: Fence): Promise<boolean> {
    return this.txn(`delete ${key}`, fence, async () => ({ request_delete_range: { key: Buffer.from(key) } }));
  }

  /** One op in a transaction, fenced when asked; etcd's errors become SLUICE_STORE_UNAVAILABLE. */
  private async txn(what: string, fence: Fence | undefined, op: () => Promise<IRequestOp>): Promise<boolean> {
    try {
      const res = await this.client.kv.txn({ compare: fence === undefined ? [] : [fenceCompare(fence)], success: [await op()] });
      return res.succeeded;
    } catch (err) {
      throw toStoreError(err, what);
    }
  }

  release(): void {
    this.released = true;
    this.lease.release();
  }

  async revoke(): Promise<void> {
    this.released = true;
    try {
      await this.lease.revoke();
    } catch (err) {
      // Unreachable etcd: the lease expires by itself after its TTL.
      this.log?.warn({ err: (err as Error).message }, 'cannot revoke an etcd lease; it will expire');
      this.lease.release();
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

  constructor(private readonly client: Etcd3, private readonly prefix: string, private readonly handlers: PrefixWatchHandlers, private readonly log: Logger | undefined) {
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
      const res = await this.client.kv.range({ key: range.start, range_end: range.end });
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
    this.log?.debug({ err: (err as Error)?.message, prefix: this.prefix }, 'lease prefix watch interrupted; reading it again');
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
