// One watch of Sluice's keys on etcd, delivering each revision's events together and in order,
// resuming by itself after an outage from the last revision it delivered.
//
// Why not etcd3's own reconnection: on reconnect its Watcher starts again from the last response
// header's revision + 1. A watch-create response's header carries etcd's *current* revision, and a
// catching-up batch can carry a header revision beyond its last event, so a disconnect at the wrong
// moment skips events. It also never tells a restored etcd (lower revision) from a live one. So on
// 'disconnected' this drops the etcd3 Watcher, waits until etcd answers, reports onResumed, and
// attaches a new Watcher from the last revision it delivered + 1.
import type { Etcd3, IEvent, IWatchResponse, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { FLEET_STATUS_PREFIX, parseResourceKey, SLUICE_PREFIX } from './keys.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { SecretSealer } from '../identity/secret-sealer.js';
import { fromStoredValue } from './stored-value.js';
import type { WatchEvent, WatchHandle, WatchHandlers } from './store.js';

/** The first resume comes at once: the watch usually just moves to another member. */
const RETRY_MIN_MS = 20;
const RETRY_MAX_MS = 2000;
/** A cancel that etcd does not confirm in this time (it is down) is given up on. */
const CANCEL_TIMEOUT_MS = 1000;

export interface EtcdWatchContext {
  readonly client: Etcd3;
  readonly log: Logger | undefined;
  /** Opens the private keys of the Certificates the watch delivers. */
  readonly sealer: SecretSealer;
  /** etcd's current revision; throws when etcd cannot be reached. */
  currentRevision(): Promise<number>;
  /** Whether a watch starting at `revision` would be refused as compacted; throws when unreachable. */
  isCompacted(revision: number): Promise<boolean>;
  /** Called once when the watch is over (closed or ended). */
  forget(watch: EtcdWatch): void;
}

export class EtcdWatch implements WatchHandle {
  /** The last revision delivered (or the one the watch started after). */
  private lastRevision: number;
  private watcher: Watcher | undefined;
  private closed = false;
  private interrupted = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: EtcdWatchContext, fromRevision: number, private readonly handlers: WatchHandlers) {
    this.lastRevision = fromRevision;
    this.attach();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.forget(this);
    clearTimeout(this.retryTimer);
    await this.detach();
  }

  /** The store is closing: stop, then tell the handler the watch will not resume. */
  async endBecauseClosed(): Promise<void> {
    await this.end('unavailable', undefined);
  }

  private attach(): void {
    // `watcher()` rather than `create()`: listeners are on before any response can arrive, where
    // create()'s promise would resolve a tick after 'connected' and could miss the first events.
    const watcher = this.ctx.client.watch().prefix(SLUICE_PREFIX).startRevision(String(this.lastRevision + 1)).watcher();
    this.watcher = watcher;
    watcher.on('connected', () => {
      if (this.watcher === watcher) this.retryMs = RETRY_MIN_MS;
    });
    watcher.on('data', (res: IWatchResponse) => {
      if (this.watcher === watcher) this.onData(res);
    });
    watcher.on('disconnected', (err: unknown) => {
      if (this.watcher === watcher) this.onDisconnected(err);
    });
    // etcd3 emits 'error' when etcd cancels the watch: above all, when its start was compacted.
    watcher.on('error', (err: unknown) => {
      if (this.watcher === watcher) void this.onCanceled(err);
    });
  }

  /** Drops the current etcd3 Watcher; without an answer from etcd within a second, gives up on it. */
  private async detach(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      watcher.cancel().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }

  private onData(res: IWatchResponse): void {
    // A response holds whole revisions (etcd never splits one unless asked to fragment); group its
    // events by revision so each transaction is delivered as one batch.
    let batch: WatchEvent[] = [];
    let batchRevision = 0;
    const flush = (): void => {
      if (batchRevision === 0 || this.closed) return;
      this.lastRevision = batchRevision;
      // Delivered even when empty (a commit that changed no resource still wrote the generation key):
      // a caller waiting for the revision its commit returned must see it.
      const events = batch;
      this.safely(() => this.handlers.onEvents(events, batchRevision));
      batch = [];
    };
    for (const ev of res.events) {
      if (ev.kv.key.toString().startsWith(FLEET_STATUS_PREFIX)) continue; // proxies' status, not configuration (keys.ts)
      const revision = Number(ev.kv.mod_revision);
      if (revision <= this.lastRevision) continue; // already delivered before a resume
      if (revision !== batchRevision) {
        flush();
        batchRevision = revision;
      }
      let event: WatchEvent | undefined;
      try {
        event = this.toEvent(ev, revision);
      } catch (err) {
        // A private key this replica cannot open: neither drop the certificate (proxies would lose
        // it) nor skip the revision. The watch ends before it; the cache keeps its last state and
        // lists again, which reports the same error until the key is configured.
        if (!(err instanceof ControlPlaneError && err.code === ErrorCode.SecretUnreadable)) throw err;
        // Earlier revisions are delivered already; this one is not delivered in part.
        this.ctx.log?.error({ err, revision }, 'cannot open a private key the watch delivered; ending the watch');
        void this.end('unavailable', err);
        return;
      }
      if (event !== undefined) batch.push(event);
    }
    flush();
  }

  private toEvent(ev: IEvent, revision: number): WatchEvent | undefined {
    const key = ev.kv.key.toString();
    const target = parseResourceKey(key);
    if (target === undefined) return undefined;
    if (ev.type === 'Delete') return { type: 'delete', kind: target.kind, name: target.name, revision };
    const decoded = fromStoredValue(key, ev.kv.value.toString(), this.ctx.sealer);
    if (decoded.ok) return { type: 'put', resource: decoded.resource, revision };
    // The same rule as list(): a value that is not a resource reads as no resource.
    this.ctx.log?.error({ key, revision, reason: decoded.reason }, 'etcd holds a value that is not a resource; treating it as deleted');
    return { type: 'delete', kind: target.kind, name: target.name, revision };
  }

  private onDisconnected(err: unknown): void {
    void this.detach();
    if (!this.interrupted) {
      this.interrupted = true;
      this.ctx.log?.warn({ err, revision: this.lastRevision }, 'etcd watch interrupted; resuming when etcd answers');
      this.safely(() => this.handlers.onInterrupted?.(err));
    }
    this.scheduleResume();
  }

  private async onCanceled(err: unknown): Promise<void> {
    this.watcher = undefined; // etcd3 has already dropped it
    let compacted: boolean;
    try {
      compacted = await this.ctx.isCompacted(this.lastRevision + 1);
    } catch (probeErr) {
      if (!this.closed) this.onDisconnected(probeErr);
      return;
    }
    if (this.closed) return;
    if (compacted) {
      this.ctx.log?.warn({ revision: this.lastRevision }, 'etcd compacted the revisions this watch needs; listing again');
      await this.end('compacted', err);
      return;
    }
    this.ctx.log?.error({ err, revision: this.lastRevision }, 'etcd canceled the watch; watching again');
    this.scheduleResume();
  }

  private scheduleResume(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.resume(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async resume(): Promise<void> {
    if (this.closed) return;
    let revision: number;
    try {
      revision = await this.ctx.currentRevision();
    } catch {
      this.scheduleResume();
      return;
    }
    if (this.closed) return;
    if (this.interrupted) {
      this.interrupted = false;
      this.ctx.log?.info({ storeRevision: revision, watchRevision: this.lastRevision }, 'etcd answers again');
      this.safely(() => this.handlers.onResumed?.(revision));
      if (this.closed) return;
    }
    if (revision < this.lastRevision) {
      // Watching from a revision etcd has not reached would wait for history that will never match.
      await this.end('compacted', new Error(`etcd came back at revision ${revision}, below revision ${this.lastRevision} already seen (restored?)`));
      return;
    }
    this.attach();
  }

  private async end(reason: 'compacted' | 'unavailable', err: unknown): Promise<void> {
    if (this.closed) return;
    const closing = this.close(); // marks the watch closed at once
    this.safely(() => this.handlers.onEnd(reason, err));
    await closing;
  }

  /** A throwing handler is a bug in the consumer; it must not break the watch or crash through etcd3. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.log?.error({ err }, 'a watch handler threw');
    }
  }
}
