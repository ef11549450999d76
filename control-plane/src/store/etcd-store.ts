// The production store: resources in etcd through `etcd3` (the only code that imports it), one
// transaction per commit, list at one revision, watches that resume by themselves (etcd-watch.ts).
import { ConstantBackoff, handleWhen, noop, retry } from 'cockatiel';
import {
  CompareResult, CompareTarget, Etcd3, GRPCUnavailableError, Range, type ICompare, type IKeyValue, type IRequestOp,
} from 'etcd3';
import type { Logger } from 'pino';
import type { Kind } from '../model/kinds.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { isCompactedError, isFutureRevisionError, isTooManyOpsError, toStoreError } from './etcd-errors.js';
import { EtcdElection } from './etcd-election.js';
import { EtcdLeaseStore } from './etcd-lease-store.js';
import { EtcdWatch } from './etcd-watch.js';
import { GENERATION_KEY, RESOURCE_PREFIX, resourceKey } from './keys.js';
import { decodeResource, encodeResource } from './resource-codec.js';
import type { LeaseStore } from './lease-store.js';
import type { ElectionOptions, ListResult, ResourceStore, StoredResource, WatchHandle, WatchHandlers, WriteOp } from './store.js';
import { checkDistinctTargets, concurrentWriteError, conflictError, opTarget, tooManyOpsError } from './write-checks.js';

export interface EtcdStoreOptions {
  /** Client URLs, `http://host:2379`; calls go to any of them (a failed member is skipped). */
  readonly endpoints: readonly string[];
  readonly log?: Logger;
  /**
   * The longest a call waits for etcd, connecting included, before it fails with
   * SLUICE_STORE_UNAVAILABLE (default 3000). etcd3 1.1.2 accepts a `dialTimeout` option but never
   * reads it, so this is each call's gRPC deadline; `list()`, which may move megabytes, gets ten times it.
   */
  readonly dialTimeoutMs?: number;
}

const GENERATION = Buffer.from(GENERATION_KEY);
const PREFIX = Range.prefix(RESOURCE_PREFIX);

export class EtcdStore implements ResourceStore {
  private readonly client: Etcd3;
  private readonly log: Logger | undefined;
  private readonly callTimeoutMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;
  private leaseStore: EtcdLeaseStore | undefined;
  private readonly endpoints: readonly string[];

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new ControlPlaneError(ErrorCode.Internal, 'EtcdStore needs at least one endpoint');
    this.endpoints = [...options.endpoints];
    this.log = options.log;
    this.callTimeoutMs = options.dialTimeoutMs ?? 3000;
    this.client = new Etcd3({
      hosts: [...options.endpoints],
      dialTimeout: this.callTimeoutMs,
      // Streams (watches) live on; every other call has a deadline, so nothing hangs on a dead etcd.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + this.callTimeoutMs }),
      grpcOptions: {
        'grpc.max_receive_message_length': -1, // a list of every resource can exceed gRPC's 4 MiB default
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        // A silent network partition would otherwise leave a watch waiting forever. etcd refuses
        // pings more often than every 5 s (--grpc-keepalive-min-time).
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      },
      faultHandling: {
        // No per-member circuit breaker: etcd3's default one fails every call for 5 s after three
        // failures (even three "request too large"), so the store would not answer right after etcd returns.
        host: () => noop,
        // UNAVAILABLE: the member is down or has no leader; another member may answer. Other errors
        // may come after etcd applied a write, so they are not retried here.
        global: retry(handleWhen((err) => err instanceof GRPCUnavailableError), {
          maxAttempts: options.endpoints.length - 1,
          backoff: new ConstantBackoff(50),
        }),
      },
    });
  }

  async list(): Promise<ListResult> {
    this.ensureOpen('list resources');
    const res = await this.call('list resources', () =>
      this.client.kv.range({ key: PREFIX.start, range_end: PREFIX.end }, { deadline: Date.now() + 10 * this.callTimeoutMs }));
    const resources: StoredResource[] = [];
    for (const kv of res.kvs) {
      const stored = this.decode(kv);
      if (stored !== undefined) resources.push(stored);
    }
    return { resources, revision: Number(res.header.revision) };
  }

  async get(kind: Kind, name: string): Promise<StoredResource | undefined> {
    this.ensureOpen('read a resource');
    const res = await this.call('read a resource', () => this.client.kv.range({ key: Buffer.from(resourceKey(kind, name)) }));
    const kv = res.kvs[0];
    return kv === undefined ? undefined : this.decode(kv);
  }

  async revision(): Promise<number> {
    this.ensureOpen('read the revision');
    // A linearizable read (the default): its header carries the cluster's current revision.
    const res = await this.call('read the revision', () => this.client.kv.range({ key: GENERATION, count_only: true }));
    return Number(res.header.revision);
  }

  async commit(ops: readonly WriteOp[], validatedAt: number): Promise<number> {
    this.ensureOpen('commit');
    checkDistinctTargets(ops);
    const targets = ops.map(opTarget);
    const conditioned = ops.flatMap((op, i) => (op.ifRevision === undefined ? [] : [{ target: targets[i]!, ifRevision: op.ifRevision }]));
    const compare: ICompare[] = [
      // Nothing committed after validatedAt: the generation key's mod_revision <= validatedAt.
      { key: GENERATION, target: CompareTarget.Mod, result: CompareResult.Less, mod_revision: validatedAt + 1 },
      ...conditioned.map(({ target, ifRevision }): ICompare => (ifRevision === 0
        ? { key: Buffer.from(target.key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }
        : { key: Buffer.from(target.key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: ifRevision })),
    ];
    const success: IRequestOp[] = ops.map((op, i): IRequestOp => (op.op === 'put'
      ? { request_put: { key: Buffer.from(targets[i]!.key), value: Buffer.from(encodeResource(op.resource)) } }
      : { request_delete_range: { key: Buffer.from(targets[i]!.key) } }));
    success.push({ request_put: { key: GENERATION, value: Buffer.alloc(0) } });
    // When a compare fails, the failure branch reads every compared key in the same transaction, so
    // the error names the right cause at the revision the compares saw.
    const failure: IRequestOp[] = [
      { request_range: { key: GENERATION } },
      ...conditioned.map(({ target }): IRequestOp => ({ request_range: { key: Buffer.from(target.key) } })),
    ];
    let res;
    try {
      res = await this.call('commit', () => this.client.kv.txn({ compare, success, failure }));
    } catch (err) {
      if (isTooManyOpsError((err as ControlPlaneError).cause)) throw tooManyOpsError(ops.length);
      throw err;
    }
    if (res.succeeded) return Number(res.header.revision);

    const modRevisionAt = (i: number): number => Number(res.responses[i]?.response_range?.kvs[0]?.mod_revision ?? 0);
    for (const [i, { target, ifRevision }] of conditioned.entries()) {
      const current = modRevisionAt(i + 1);
      if (current !== ifRevision) throw conflictError(target, current, ifRevision);
    }
    const generation = modRevisionAt(0);
    if (generation > validatedAt) throw concurrentWriteError(validatedAt, generation);
    throw new ControlPlaneError(ErrorCode.Internal, `etcd refused the transaction at revision ${res.header.revision} but no compare explains it`);
  }

  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle {
    this.ensureOpen('watch');
    const watch = new EtcdWatch({
      client: this.client,
      log: this.log,
      currentRevision: () => this.revision(),
      isCompacted: (revision) => this.isCompacted(revision),
      forget: (w) => this.watches.delete(w),
    }, fromRevision, handlers);
    this.watches.add(watch);
    return watch;
  }

  /** Leased keys (health, registrations) on the same etcd client. */
  leases(): LeaseStore {
    return (this.leaseStore ??= new EtcdLeaseStore(this.client, this.log));
  }

  /** Our own election on the same etcd (etcd-election.ts), with a connection of its own. */
  election(options: ElectionOptions): EtcdElection {
    return new EtcdElection({ endpoints: this.endpoints, ...options });
  }

  /**
   * Compacts etcd's history before `revision` (default: the current one). Production etcd compacts by
   * itself (`--auto-compaction-*`); this exists for tests and operators' tools.
   */
  async compact(revision?: number): Promise<void> {
    this.ensureOpen('compact');
    const target = revision ?? (await this.revision());
    await this.call('compact', () => this.client.kv.compact({ revision: target }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.endBecauseClosed()));
    this.client.close();
  }

  /** Whether a watch starting at `revision` would be refused: a read at it is refused the same way. */
  private async isCompacted(revision: number): Promise<boolean> {
    try {
      await this.client.kv.range({ key: GENERATION, revision, count_only: true });
      return false;
    } catch (err) {
      if (isCompactedError(err)) return true;
      if (isFutureRevisionError(err)) return false;
      throw toStoreError(err, 'probe for compaction');
    }
  }

  private decode(kv: IKeyValue): StoredResource | undefined {
    const key = kv.key.toString();
    const decoded = decodeResource(key, kv.value.toString());
    if (!decoded.ok) {
      this.log?.error({ key, reason: decoded.reason }, 'etcd holds a value that is not a resource; leaving it out');
      return undefined;
    }
    return { resource: decoded.resource, revision: Number(kv.mod_revision) };
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err, action);
    }
  }

  private ensureOpen(action: string): void {
    if (this.closed) throw new ControlPlaneError(ErrorCode.StoreUnavailable, `cannot ${action}: the etcd store is closed`);
  }
}
