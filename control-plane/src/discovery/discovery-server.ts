// The discovery gRPC server: authenticates each stream, keeps one StreamState per proxy, and writes
// what the state says to send when a request or a new snapshot arrives. It knows nothing of storage.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DiscoveryRequest, Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { ApiTokens } from '../api/api-tokens.js';
import type { WorkloadAuthenticator } from '../identity/workload-authenticator.js';
import type { DiscoveryHooks } from './discovery-hooks.js';
import type { DiscoveryMetrics } from './discovery-metrics.js';
import { ProxyRegistry } from './proxy-registry.js';
import { discoveryServiceDefinition } from '../../../proto/src/wire/service-definition.js';
import { StreamState } from './stream-state.js';
import { listenForGrpc, type GrpcListener } from './grpc-listener.js';
import type { ListenAddress } from '../api/api-server.js';
import { authenticateStream, nodeBindingProblem, type StreamCredential } from './stream-credential.js';

/** Where snapshots come from (SnapshotBuilder). */
export interface SnapshotSource {
  readonly current: Snapshot;
  onSnapshot(listener: (snapshot: Snapshot) => void): () => void;
}

export interface DiscoveryServerOptions {
  readonly snapshots: SnapshotSource;
  /**
   * Streams must send `authorization: Bearer <token>`: a workload credential the authenticator
   * accepts, or an admin API token with the admin role (the single-machine path, warned about).
   */
  readonly token: string | ApiTokens;
  /** Checks workload credentials (bootstrap tokens); without it only admin tokens are accepted. */
  readonly authenticator?: WorkloadAuthenticator;
  readonly registry?: ProxyRegistry;
  readonly hooks?: DiscoveryHooks;
  readonly metrics?: DiscoveryMetrics;
  readonly log?: Logger;
  /** TLS when set; plaintext otherwise. */
  readonly credentials?: grpc.ServerCredentials;
  /** Server pings an idle connection this often, and drops it when no answer comes in the timeout. */
  readonly keepaliveTimeMs?: number;
  readonly keepaliveTimeoutMs?: number;
  /**
   * Connections are closed after this age (grpc-js adds ±10% jitter) so that proxies reconnect and
   * spread over replicas, including new ones; streams get the grace time to finish.
   */
  readonly maxConnectionAgeMs?: number;
  readonly maxConnectionAgeGraceMs?: number;
  /**
   * Response bytes written and not yet ACKed, across streams, above which further responses wait
   * for ACKs. Bounds the memory peak when a whole fleet connects at once and each proxy needs the
   * full configuration.
   */
  readonly sendBudgetBytes?: number;
  /**
   * How long a response counts against the send budget while its proxy neither ACKs nor NACKs it. A
   * proxy that stalls (or lies) must not hold the budget, and with it every other proxy's updates,
   * for as long as its stream stays open: after this its bytes leave the budget (the stream goes on).
   */
  readonly unansweredBudgetMs?: number;
  /**
   * Why this replica should not take new streams now (its store is unreachable, so its snapshot may
   * be older than what proxies hold), or undefined when it may. Refused streams get UNAVAILABLE and
   * the proxy tries another replica; streams already open keep their configuration.
   */
  readonly refuseStreams?: () => string | undefined;
  /** More gRPC services on the same port (IdentityService). */
  readonly services?: readonly { readonly definition: grpc.ServiceDefinition; readonly implementation: grpc.UntypedServiceImplementation }[];
  /** How long a new stream from a proxy ahead of this replica's snapshot waits for it to catch up. */
  readonly catchUpWaitMs?: number;
  /** Takes the traffic summaries proxies send (control-plane/src/traffic/traffic-intake.ts); without it they are ignored. */
  readonly traffic?: {
    accept(stream: string, service: string, summary: NonNullable<DiscoveryRequest['traffic']>): unknown;
    closed(stream: string): void;
  };
}

export const DISCOVERY_DEFAULTS = Object.freeze({
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionAgeMs: 30 * 60_000,
  maxConnectionAgeGraceMs: 30_000,
  sendBudgetBytes: 16 << 20,
  unansweredBudgetMs: 10_000,
  catchUpWaitMs: 3_000,
});

type Call = grpc.ServerDuplexStream<DiscoveryRequest, Buffer>;

interface Live {
  readonly state: StreamState;
  readonly call: Call;
  scheduled: boolean;
  /** Bytes of the response in flight, counted against the send budget. */
  inFlightBytes: number;
  /** When the response in flight was written (it leaves the send budget unansweredBudgetMs later). */
  inFlightSinceMs: number;
  /** A response waiting for room in the send budget. */
  waiting: Buffer | undefined;
  /** The response in flight: its type and when it was ready (push latency). */
  pushed: { readonly type: string; readonly atMs: number } | undefined;
  /** How the proxy answered the responses sent since its last sync: propagation counts ACKed updates only. */
  answeredSinceSync: 'nothing' | 'acked' | 'nacked';
  /** performance.now() when the stream opened: changes seen before are part of the first configuration. */
  readonly openedAtMs: number;
}

export class DiscoveryServer {
  readonly registry: ProxyRegistry;
  private readonly server: grpc.Server;
  private readonly tokens: ApiTokens;
  private readonly live = new Set<Live>();
  private unsubscribe: (() => void) | undefined;
  private streamSeq = 0;
  private readonly sendBudgetBytes: number;
  private readonly unansweredBudgetMs: number;
  private budgetUsed = 0;
  /** Streams whose response counts against the budget now, oldest first. */
  private readonly inBudget = new Set<Live>();
  /**
   * Responses waiting for room, in two queues: updates to proxies that have synced before go first,
   * so a mass (re)connect, where every new proxy needs the whole configuration, cannot hold back the
   * changes the proxies already running are waiting for.
   */
  private readonly queuedUpdates = new Set<Live>();
  private readonly queuedInitial = new Set<Live>();
  private budgetTimer: NodeJS.Timeout | undefined;
  private listener: GrpcListener | undefined;

  constructor(private readonly options: DiscoveryServerOptions) {
    this.registry = options.registry ?? new ProxyRegistry();
    this.tokens = typeof options.token === 'string' ? ApiTokens.single(options.token) : options.token;
    const o = { ...DISCOVERY_DEFAULTS, ...definedOnly(options) };
    this.sendBudgetBytes = o.sendBudgetBytes;
    this.unansweredBudgetMs = o.unansweredBudgetMs;
    this.server = new grpc.Server({
      'grpc.keepalive_time_ms': o.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': o.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      'grpc.max_connection_age_ms': o.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': o.maxConnectionAgeGraceMs,
      'grpc.max_receive_message_length': 4 << 20,
      // Channelz (grpc-js's per-call and per-message bookkeeping) is read by nothing here, and costs
      // CPU for every message and memory for every connection of a fleet.
      'grpc.enable_channelz': 0,
    });
    this.server.addService(discoveryServiceDefinition, { Stream: (call: Call) => this.onCall(call) });
    for (const s of options.services ?? []) this.server.addService(s.definition, s.implementation);
  }

  /** Binds `address` (port 0 picks one) and starts serving; resolves to the bound port. */
  async listen(address: ListenAddress): Promise<number> {
    this.listener = await listenForGrpc(this.server, address, this.options.credentials ?? grpc.ServerCredentials.createInsecure());
    this.unsubscribe ??= this.options.snapshots.onSnapshot((s) => this.onSnapshot(s));
    return this.listener.port;
  }

  /** Stops accepting, ends every stream (proxies reconnect elsewhere) and waits up to `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    this.unsubscribe?.();
    this.listener?.close();
    clearTimeout(this.budgetTimer);
    for (const l of this.live) l.call.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onCall(call: Call): void {
    const peer = call.getPeer();
    call.on('error', (err) => this.options.log?.debug({ err, peer }, 'discovery stream error'));
    const header = call.metadata.get('authorization')[0];
    // Until the credential is checked no 'data' listener is attached: requests wait in the stream.
    void authenticateStream(header?.toString(), this.tokens, this.options.authenticator).then((credential) => {
      if (call.cancelled || call.destroyed) return;
      if (credential.kind === 'refused') {
        this.options.log?.warn({ peer, reason: credential.details }, 'discovery stream refused: its credential');
        call.emit('error', { code: credential.code, details: credential.details });
        return;
      }
      if (credential.kind === 'admin-token') {
        this.options.log?.warn({ peer, actor: credential.name },
          'discovery stream authenticated with an admin API token: the single-machine path; give each proxy a workload credential instead');
      }
      this.serve(call, peer, credential);
    });
  }

  private serve(call: Call, peer: string, credential: StreamCredential): void {
    const refusal = this.options.refuseStreams?.();
    if (refusal !== undefined) {
      this.options.log?.warn({ peer, reason: refusal }, 'discovery stream refused');
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: refusal });
      return;
    }
    let live: Live | undefined;
    /** Requests held while this replica catches up with a proxy that is ahead of it. */
    let held: DiscoveryRequest[] | undefined;
    const closeStream = (): void => {
      if (live === undefined || !this.live.delete(live)) return;
      this.release(live);
      this.registry.remove(live.state);
      this.options.hooks?.onStreamClose?.(live.state.node, peer, live.state.id);
      this.options.traffic?.closed(live.state.id);
      this.options.log?.info({ node: live.state.node.id, peer }, 'proxy disconnected');
    };
    const open = (node: Node): Live => {
      const state = new StreamState(`${++this.streamSeq}`, node, peer, this.options.snapshots.current);
      const opened: Live = { state, call, scheduled: false, inFlightBytes: 0, inFlightSinceMs: 0, waiting: undefined, pushed: undefined, answeredSinceSync: 'nothing', openedAtMs: performance.now() };
      this.live.add(opened);
      this.registry.add(state);
      this.options.hooks?.onStreamOpen?.(node, peer, state.id, credential.kind === 'workload' ? credential.caller.spiffeId : undefined);
      this.options.metrics?.streamOpened();
      const who = credential.kind === 'workload' ? { identity: credential.caller.spiffeId } : { actor: credential.name };
      this.options.log?.info({ node: node.id, service: node.service, peer, ...who }, 'proxy connected');
      return opened;
    };
    call.on('data', (request: DiscoveryRequest) => {
      if (held !== undefined) {
        held.push(request);
        return;
      }
      if (live === undefined) {
        const node = request.node;
        if (node === undefined || node.id === '') {
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'the first request of a stream must carry node.id' });
          return;
        }
        const unbound = nodeBindingProblem(credential, node);
        if (unbound !== undefined) {
          this.options.log?.warn({ node: node.id, service: node.service, peer, reason: unbound }, 'discovery stream refused: its node is not the credential\'s');
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: unbound });
          return;
        }
        const known = Number(request.knownRevision);
        if (known > this.options.snapshots.current.revision) {
          // The proxy holds a newer configuration than this replica has seen (it failed over from a
          // replica further ahead): answering now would send it removals of what it holds.
          held = [request];
          void this.caughtUp(known).then((ok) => {
            if (call.destroyed || held === undefined) return;
            if (!ok) this.options.log?.warn({ node: node.id, known, snapshot: this.options.snapshots.current.revision }, 'proxy is ahead of this replica; answering from its snapshot');
            const requests = held;
            held = undefined;
            live = open(node);
            for (const r of requests) this.onRequest(live, r);
          });
          return;
        }
        live = open(node);
      }
      this.onRequest(live, request);
    });
    call.on('end', () => {
      closeStream();
      call.end();
    });
    call.on('cancelled', closeStream);
    call.on('close', closeStream);
  }

  /** Resolves true once the snapshot reaches `revision`, false after catchUpWaitMs. */
  private caughtUp(revision: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, this.options.catchUpWaitMs ?? DISCOVERY_DEFAULTS.catchUpWaitMs);
      const off = this.options.snapshots.onSnapshot((s) => {
        if (s.revision < revision) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  private onRequest(live: Live, request: DiscoveryRequest): void {
    const outcome = live.state.onRequest(request);
    if (outcome === 'nack') live.answeredSinceSync = 'nacked';
    else if (outcome === 'ack' && live.answeredSinceSync === 'nothing') live.answeredSinceSync = 'acked';
    if ((outcome === 'ack' || outcome === 'nack') && live.pushed !== undefined) {
      this.options.metrics?.answeredPush(live.pushed.type, outcome === 'ack', live.pushed.atMs);
      live.pushed = undefined;
    }
    if (live.state.pending === undefined) this.release(live);
    const log = this.options.log;
    if (outcome === 'nack') log?.warn({ node: live.state.node.id, type: request.type, error: live.state.lastError?.message }, 'proxy rejected an update');
    // type '' carries only health reports or a traffic summary (DiscoveryClient.reportHealth, reportTraffic): no warning.
    else if (outcome === 'ignored' && request.type !== '') log?.warn({ node: live.state.node.id, type: request.type }, 'request for an unknown resource type ignored');
    if (request.health.length > 0) {
      const hook = this.options.hooks?.onHealthReports;
      if (hook !== undefined) hook(live.state.node, request.health, live.state.peer, live.state.id);
      else log?.info({ node: live.state.node.id, reports: request.health.length }, 'health reports received (no health module)');
    }
    if (request.traffic !== undefined) this.options.traffic?.accept(live.state.id, live.state.node.service, request.traffic);
    // Requests that arrive together (a proxy's subscriptions to every type) are answered together.
    if (!live.scheduled) {
      live.scheduled = true;
      setImmediate(() => {
        live.scheduled = false;
        this.flush(live);
      });
    }
  }

  private onSnapshot(snapshot: Snapshot): void {
    for (const live of this.live) {
      live.state.onSnapshot(snapshot);
      if (!live.scheduled) this.flush(live);
    }
  }

  private flush(live: Live): void {
    if (!this.live.has(live)) return;
    const synced = live.state.syncedRevision;
    const out = live.state.next();
    if (out === undefined) {
      if (live.state.syncedRevision === synced) return;
      // A stream's first sync brings a whole configuration, not a change: it is not propagation.
      if (synced > 0 && live.answeredSinceSync === 'acked') this.options.metrics?.propagated(synced, live.state.syncedRevision, live.openedAtMs);
      live.answeredSinceSync = 'nothing';
      this.options.hooks?.onProxySynced?.(live.state.node, live.state.syncedRevision);
      return;
    }
    if (this.options.metrics !== undefined) live.pushed = { type: out.type, atMs: this.options.metrics.pushed(out.type) };
    if (!this.fits(out.bytes.length)) {
      live.waiting = out.bytes;
      (live.state.syncedRevision > 0 ? this.queuedUpdates : this.queuedInitial).add(live);
      this.armBudgetTimer();
      return;
    }
    this.write(live, out.bytes);
  }

  /** One response always goes, however large; more only while they fit in the budget together. */
  private fits(bytes: number): boolean {
    return this.budgetUsed === 0 || this.budgetUsed + bytes <= this.sendBudgetBytes;
  }

  private write(live: Live, bytes: Buffer): void {
    live.inFlightBytes = bytes.length;
    live.inFlightSinceMs = performance.now();
    this.budgetUsed += bytes.length;
    this.inBudget.add(live);
    live.call.write(bytes);
  }

  /** The stream's response was answered (or the stream is gone): its bytes leave the budget. */
  private release(live: Live): void {
    this.queuedUpdates.delete(live);
    this.queuedInitial.delete(live);
    live.waiting = undefined;
    this.leaveBudget(live);
    this.drainQueues();
  }

  private leaveBudget(live: Live): void {
    if (!this.inBudget.delete(live)) return;
    this.budgetUsed -= live.inFlightBytes;
    live.inFlightBytes = 0;
  }

  private drainQueues(): void {
    for (const queue of [this.queuedUpdates, this.queuedInitial]) {
      for (const next of queue) {
        const bytes = next.waiting!;
        if (!this.fits(bytes.length)) return;
        queue.delete(next);
        next.waiting = undefined;
        this.write(next, bytes);
      }
    }
  }

  /**
   * While responses wait, the oldest unanswered one leaves the budget when its time is up: a proxy
   * that never answers then delays the others by unansweredBudgetMs at most.
   */
  private armBudgetTimer(): void {
    if (this.budgetTimer !== undefined) return;
    const oldest = this.inBudget.values().next().value;
    if (oldest === undefined) return;
    const dueInMs = Math.max(0, oldest.inFlightSinceMs + this.unansweredBudgetMs - performance.now());
    this.budgetTimer = setTimeout(() => {
      this.budgetTimer = undefined;
      const now = performance.now();
      for (const live of this.inBudget) {
        if (now - live.inFlightSinceMs < this.unansweredBudgetMs) break;
        this.options.log?.warn({ node: live.state.node.id, bytes: live.inFlightBytes, waitedMs: Math.round(now - live.inFlightSinceMs) },
          'proxy has not answered a response; it no longer holds back the others');
        this.leaveBudget(live);
      }
      this.drainQueues();
      if (this.queuedUpdates.size + this.queuedInitial.size > 0) this.armBudgetTimer();
    }, dueInMs);
    this.budgetTimer.unref();
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
