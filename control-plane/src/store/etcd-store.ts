// The production store: resources in etcd through `etcd3` (etcd-client.ts builds every client), one
// transaction per commit (etcd-commit.ts), list at one revision, watches that resume by themselves
// (etcd-watch.ts). Every unary call goes to member after member within its deadline (etcd-failover.ts),
// so while a quorum lives, a member's death costs no call.
import { Range, type Etcd3, type IKeyValue } from 'etcd3';
import type { Logger } from 'pino';
import type { Kind } from '../../../proto/src/model/kinds.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { createEtcdClient, type EtcdCredentials } from './etcd-client.js';
import { commitOps } from './etcd-commit.js';
import { isCompactedError, isFutureRevisionError, toStoreError } from './etcd-errors.js';
import { callWithFailover, type CallBudget } from './etcd-failover.js';
import { EtcdElection } from './etcd-election.js';
import { EtcdKeyValues } from './etcd-key-values.js';
import { EtcdLeaseStore } from './etcd-lease-store.js';
import { EtcdWatch } from './etcd-watch.js';
import { GENERATION_KEY, RESOURCE_PREFIX, resourceKey } from './keys.js';
import { PLAINTEXT_SEALER, type SecretSealer } from '../identity/secret-sealer.js';
import { fromStoredValue } from './stored-value.js';
import type { LeaseStore } from './lease-store.js';
import type { ElectionOptions, ListResult, MetaWrite, ResourceStore, StoredResource, WatchHandle, WatchHandlers, WriteOp } from './store.js';
import { DEFAULT_STORE_LIMITS, type StoreLimits } from './write-checks.js';

export interface EtcdStoreOptions {
  /** Client URLs, `http://host:2379`; calls go to any of them (a failed member is skipped). */
  readonly endpoints: readonly string[];
  readonly log?: Logger;
  /**
   * The longest a call waits for etcd, every attempt on every member included, before it fails with
   * SLUICE_STORE_UNAVAILABLE (default 4000: long enough for etcd to elect a new leader, default
   * --election-timeout 1000 ms, after its leader died). `list()`, which may move megabytes, gets ten times it.
   */
  readonly requestTimeoutMs?: number;
  /**
   * The deadline of one attempt on one member (default 1000, at most requestTimeoutMs): a member that
   * died or hangs costs a call this long, then the call goes on to another member.
   */
  readonly attemptTimeoutMs?: number;
  /**
   * Seals Certificate private keys before they are written and opens them after they are read
   * (default: stored as they are).
   */
  readonly sealer?: SecretSealer;
  /** TLS and user credentials for etcd (every connection: resources, leases, elections). */
  readonly credentials?: EtcdCredentials;
  /**
   * etcd's --max-txn-ops and --max-request-bytes as the members run with them (`--store-max-txn-ops`,
   * `--store-max-request-bytes`; default DEFAULT_STORE_LIMITS, as in deploy/). Commits over them are
   * refused before they are sent, naming the limit.
   */
  readonly limits?: Partial<StoreLimits>;
}

export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 4000;
export const DEFAULT_ETCD_ATTEMPT_TIMEOUT_MS = 1000;
/** list() moves every resource at once: its budget and attempts are this many times longer. */
const LIST_FACTOR = 10;

const GENERATION = Buffer.from(GENERATION_KEY);
const PREFIX = Range.prefix(RESOURCE_PREFIX);

export class EtcdStore implements ResourceStore {
  private readonly client: Etcd3;
  private readonly log: Logger | undefined;
  private readonly budget: CallBudget;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;
  private leaseStore: EtcdLeaseStore | undefined;
  private keyValueStore: EtcdKeyValues | undefined;
  private readonly endpoints: readonly string[];
  private readonly sealer: SecretSealer;
  private readonly credentials: EtcdCredentials | undefined;
  private readonly limits: StoreLimits;

  constructor(options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new ControlPlaneError(ErrorCode.Internal, 'EtcdStore needs at least one endpoint');
    this.endpoints = [...options.endpoints];
    this.log = options.log;
    this.sealer = options.sealer ?? PLAINTEXT_SEALER;
    this.credentials = options.credentials;
    this.limits = { ...DEFAULT_STORE_LIMITS, ...options.limits };
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
    this.budget = {
      requestTimeoutMs,
      attemptTimeoutMs: Math.min(options.attemptTimeoutMs ?? DEFAULT_ETCD_ATTEMPT_TIMEOUT_MS, requestTimeoutMs),
      members: this.endpoints.length,
    };
    this.client = createEtcdClient(this.endpoints, {
      attemptTimeoutMs: this.budget.attemptTimeoutMs,
      credentials: this.credentials,
      grpcOptions: { 'grpc.max_receive_message_length': -1 }, // a list of every resource can exceed gRPC's 4 MiB default
    });
  }

  async list(): Promise<ListResult> {
    this.ensureOpen('list resources');
    const listBudget = { ...this.budget, requestTimeoutMs: LIST_FACTOR * this.budget.requestTimeoutMs, attemptTimeoutMs: LIST_FACTOR * this.budget.attemptTimeoutMs };
    const res = await this.call('list resources', (deadline) => this.client.kv.range({ key: PREFIX.start, range_end: PREFIX.end }, { deadline }), listBudget);
    const resources: StoredResource[] = [];
    for (const kv of res.kvs) {
      const stored = this.decode(kv);
      if (stored !== undefined) resources.push(stored);
    }
    return { resources, revision: Number(res.header.revision) };
  }

  async get(kind: Kind, name: string): Promise<StoredResource | undefined> {
    this.ensureOpen('read a resource');
    const res = await this.call('read a resource', (deadline) => this.client.kv.range({ key: Buffer.from(resourceKey(kind, name)) }, { deadline }));
    const kv = res.kvs[0];
    return kv === undefined ? undefined : this.decode(kv);
  }

  async revision(): Promise<number> {
    this.ensureOpen('read the revision');
    // A linearizable read (the default): its header carries the cluster's current revision.
    const res = await this.call('read the revision', (deadline) => this.client.kv.range({ key: GENERATION, count_only: true }, { deadline }));
    return Number(res.header.revision);
  }

  async commit(ops: readonly WriteOp[], validatedAt: number, meta: readonly MetaWrite[] = []): Promise<number> {
    this.ensureOpen('commit');
    return await commitOps(this.client, this.budget, ops, validatedAt, this.sealer, this.limits, meta);
  }

  async listMeta(prefix: string): Promise<Array<{ readonly key: string; readonly value: string }>> {
    this.ensureOpen('read meta keys');
    const range = Range.prefix(prefix);
    const res = await this.call(`read ${prefix}`, (deadline) => this.client.kv.range({ key: range.start, range_end: range.end }, { deadline }));
    return res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString() }));
  }

  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle {
    this.ensureOpen('watch');
    const watch = new EtcdWatch({
      client: this.client,
      log: this.log,
      sealer: this.sealer,
      currentRevision: () => this.revision(),
      isCompacted: (revision) => this.isCompacted(revision),
      forget: (w) => this.watches.delete(w),
    }, fromRevision, handlers);
    this.watches.add(watch);
    return watch;
  }

  /** Leased keys (health, registrations) on the same etcd client. */
  leases(): LeaseStore {
    return (this.leaseStore ??= new EtcdLeaseStore(this.client, this.budget, this.log));
  }

  /** Keys beside the resources (identity) on the same etcd client. */
  keyValues(): EtcdKeyValues {
    return (this.keyValueStore ??= new EtcdKeyValues(this.client, this.budget));
  }

  /** Our own election on the same etcd (etcd-election.ts), with a connection of its own. */
  election(options: ElectionOptions): EtcdElection {
    return new EtcdElection({ endpoints: this.endpoints, credentials: this.credentials, ...options });
  }

  /**
   * Compacts etcd's history before `revision` (default: the current one). Production etcd compacts by
   * itself (`--auto-compaction-*`); this exists for tests and operators' tools.
   */
  async compact(revision?: number): Promise<void> {
    this.ensureOpen('compact');
    const target = revision ?? (await this.revision());
    try {
      await callWithFailover('compact', this.budget, (deadline) => this.client.kv.compact({ revision: target }, { deadline }));
    } catch (err) {
      // An attempt whose answer was lost compacted already; its repetition is refused as compacted.
      if (!isCompactedError(err)) throw toStoreError(err, 'compact');
    }
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
      await callWithFailover('probe for compaction', this.budget, (deadline) => this.client.kv.range({ key: GENERATION, revision, count_only: true }, { deadline }));
      return false;
    } catch (err) {
      if (isCompactedError(err)) return true;
      if (isFutureRevisionError(err)) return false;
      throw toStoreError(err, 'probe for compaction');
    }
  }

  /** Throws SLUICE_SECRET_UNREADABLE for a private key no configured encryption key opens. */
  private decode(kv: IKeyValue): StoredResource | undefined {
    const key = kv.key.toString();
    const decoded = fromStoredValue(key, kv.value.toString(), this.sealer);
    if (!decoded.ok) {
      this.log?.error({ key, reason: decoded.reason }, 'etcd holds a value that is not a resource; leaving it out');
      return undefined;
    }
    return { resource: decoded.resource, revision: Number(kv.mod_revision) };
  }

  /** One unary call, tried on member after member within the budget; failures become ControlPlaneErrors. */
  private async call<T>(action: string, attempt: (deadline: number) => Promise<T>, budget = this.budget): Promise<T> {
    try {
      return await callWithFailover(action, budget, attempt);
    } catch (err) {
      throw toStoreError(err, action);
    }
  }

  private ensureOpen(action: string): void {
    if (this.closed) throw new ControlPlaneError(ErrorCode.StoreUnavailable, `cannot ${action}: the etcd store is closed`);
  }
}
