// The proxy side of the discovery protocol: one stream to one of the control-plane replicas,
// wildcard subscriptions to every type, every response checked with the model code and applied
// through a callback, then ACKed or NACKed. The last good configuration stays while disconnected,
// and can live in a file for a restart during an outage.
import { EventEmitter } from 'node:events';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  DiscoveryRequestSchema,
  HealthReportSchema,
  type TrafficSummarySchema,
  type DiscoveryRequest,
  type HealthReport,
  type DiscoveryResponse,
  type NodeSchema,
} from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { EndpointSchema } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { DISCOVERY_STREAM_PATH, deserializeResponse, serializeRequest } from '../../../proto/src/wire/service-definition.js';
import { KINDS, type Kind } from '../../../proto/src/model/kinds.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { checkResponse } from './check-response.js';
import { loadLastGood, saveLastGood } from './last-good-file.js';
import { NackCode } from './nack-codes.js';
import { currentToken, type BearerToken } from '../../../proto/src/command-line/token-source.js';
import { clusterEndpointKey } from '../upstream/peer.js';
import { Health } from '../../../proto/src/model/enums.js';

/** announceDraining() waits at most this long for its report to be written before the drain goes on. */
const ANNOUNCE_DRAINING_WAIT_MS = 1000;

export interface DiscoveryClientOptions {
  /** Control-plane replicas, `host:port`; the client uses one at a time and moves on when it fails. */
  readonly addresses: readonly string[];
  /** Identity sent on the first request; `id` is required. */
  readonly node: MessageInitShape<typeof NodeSchema> & { id: string };
  /** A function is called at each (re)connect, so a rewritten token file is read again. */
  readonly token: BearerToken;
  /**
   * Called with the whole new configuration after each accepted response, one call at a time.
   * Resolve when it serves traffic; throw to reject it (the control plane gets a NACK with the
   * message and, when the error has `errors: [{path, message}]`, those field errors; the previous
   * configuration stays).
   */
  apply(set: ResourceSet, revision: number): Promise<void>;
  /** Keep the last applied configuration in this file and start from it. */
  readonly persistPath?: string;
  readonly credentials?: grpc.ChannelCredentials;
  /** More channel options (the TLS server name with --control-plane-ca). */
  readonly channelOptions?: grpc.ChannelOptions;
  readonly backoff?: BackoffOptions;
  /** A stream that stayed up this long resets the backoff. Default 5000. */
  readonly stableAfterMs?: number;
  readonly keepaliveTimeMs?: number;
  readonly kinds?: readonly Kind[];
  readonly log?: Logger;
}

export interface DiscoveryClientEvents {
  connected: [address: string];
  disconnected: [address: string, error: grpc.StatusObject | Error | undefined];
  applied: [revision: number, kind: Kind];
  rejected: [revision: number, kind: Kind, message: string];
  response: [response: DiscoveryResponse];
}

interface Connection {
  readonly address: string;
  readonly client: grpc.Client;
  readonly call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  /** The stream's credential, which unary calls on this connection present too. */
  readonly metadata: grpc.Metadata;
  ended: boolean;
}

export class DiscoveryClient extends EventEmitter<DiscoveryClientEvents> {
  private config = new ResourceSet();
  private configRevision = 0;
  private readonly versions = new Map<Kind, Map<string, string>>();
  private connection: Connection | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  private addressIndex: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private persisting: Promise<void> | undefined;
  private persistAgain = false;
  private stopped = false;
  /** announceDraining() was called: reconnects register the own endpoint as DRAINING. */
  private draining = false;
  /** The latest health report per endpoint (`cluster\0address:port`): the first request of every stream carries them all. */
  private readonly healthReports = new Map<string, HealthReport>();

  constructor(private readonly options: DiscoveryClientOptions) {
    super();
    if (options.addresses.length === 0) throw new Error('DiscoveryClient needs at least one control-plane address');
    if (options.node.id === '') throw new Error('DiscoveryClient needs node.id');
    this.backoff = new Backoff(options.backoff);
    // Start at a random replica so a fleet spreads over them.
    this.addressIndex = Math.floor(Math.random() * options.addresses.length);
  }

  /** The configuration in use (the last one applied). */
  get current(): ResourceSet {
    return this.config;
  }

  /** The control-plane revision of the last applied response. */
  get revision(): number {
    return this.configRevision;
  }

  /** The version (content hash) of every resource in use, by kind and name, as the control plane sent them. */
  resourceVersions(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [kind, m] of this.versions) if (m.size > 0) out[kind] = Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return out;
  }

  get connectedTo(): string | undefined {
    return this.connection?.ended === false ? this.connection.address : undefined;
  }

  /**
   * A unary call (RateLimitService.Borrow) to the replica the stream is on, on the stream's connection
   * and with its credential: no connection of its own. Undefined when no stream is open.
   */
  unary<Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req, deadlineMs: number): Promise<Res> | undefined {
    const conn = this.connection;
    if (conn === undefined || conn.ended) return undefined;
    return new Promise((resolve, reject) => {
      conn.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, conn.metadata.clone(), { deadline: Date.now() + deadlineMs }, (err, response) => (err ? reject(err) : resolve(response!)));
    });
  }

  /** Applies the persisted configuration, when there is one, then connects. */
  async start(): Promise<void> {
    if (this.options.persistPath !== undefined) {
      try {
        const saved = await loadLastGood(this.options.persistPath);
        if (saved !== undefined) {
          await this.options.apply(saved.set, saved.revision);
          this.config = saved.set;
          this.configRevision = saved.revision;
          for (const [kind, m] of saved.versions) if (m.size > 0) this.versions.set(kind, new Map(m));
          this.options.log?.info({ revision: saved.revision, resources: saved.set.size }, 'started from the last good configuration on disk');
        }
      } catch (err) {
        this.options.log?.error({ err, path: this.options.persistPath }, 'cannot use the persisted configuration; waiting for the control plane');
      }
    }
    this.connect();
  }

  /**
   * The sidecar is stopping gracefully: tells the control plane that its own registered
   * endpoint (node.selfEndpoint, for node.service) is DRAINING, so other proxies stop sending it new
   * requests. Resolves once the report is written to the stream (at once when there is no stream or
   * no self endpoint); a later reconnect registers the endpoint as DRAINING.
   */
  async announceDraining(): Promise<void> {
    const self = this.options.node.selfEndpoint;
    const service = this.options.node.service ?? '';
    if (self === undefined || service === '' || this.draining) return;
    this.draining = true;
    const conn = this.connection;
    if (conn === undefined || conn.ended) return;
    const report = { cluster: service, address: self.address ?? '', port: self.port ?? 0, health: Health.DRAINING, reason: 'graceful stop' };
    // Bounded: a stuck stream must not hold up the drain that follows.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ANNOUNCE_DRAINING_WAIT_MS);
      timer.unref();
      conn.call.write(create(DiscoveryRequestSchema, { type: '', health: [report] }), () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Ends the stream and stops reconnecting; waits for a pending write of the persisted file. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stableTimer);
    this.disconnect();
    await this.queue;
    await this.persisting;
  }

  /**
   * Reports endpoint health transitions of this proxy's active checks: sent at once, on the
   * open stream, as one DiscoveryRequest with `type: ''` and only `health` set. The latest report per
   * endpoint is remembered, and the first request of every later stream carries all of them (the
   * full current view, HEALTHY included), so a replica that never saw them learns the state. A report
   * with health UNKNOWN means "this proxy no longer checks the endpoint": it is sent, then forgotten.
   */
  reportHealth(reports: readonly MessageInitShape<typeof HealthReportSchema>[]): void {
    if (reports.length === 0) return;
    const health = reports.map((r) => create(HealthReportSchema, r));
    for (const r of health) {
      const key = clusterEndpointKey(r.cluster, r.address, r.port);
      if (r.health === 0) this.healthReports.delete(key);
      else this.healthReports.set(key, r);
    }
    const conn = this.connection;
    if (conn !== undefined && !conn.ended) conn.call.write(create(DiscoveryRequestSchema, { type: '', health }));
  }

  /**
   * Sends a traffic summary on the open stream; false (nothing sent) when there is none, so the caller
   * keeps counting and its next summary covers the gap.
   */
  reportTraffic(traffic: MessageInitShape<typeof TrafficSummarySchema>): boolean {
    const conn = this.connection;
    if (conn === undefined || conn.ended) return false;
    conn.call.write(create(DiscoveryRequestSchema, { type: '', traffic }));
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.options.addresses[this.addressIndex % this.options.addresses.length]!;
    const client = new grpc.Client(address, this.options.credentials ?? grpc.credentials.createInsecure(), {
      // One connection per client, even with many in a process (the fleet benchmark).
      'grpc.use_local_subchannel_pool': 1,
      'grpc.keepalive_time_ms': this.options.keepaliveTimeMs ?? 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 64 << 20,
      ...this.options.channelOptions,
    });
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${currentToken(this.options.token)}`);
    const call = client.makeBidiStreamRequest(DISCOVERY_STREAM_PATH, serializeRequest, deserializeResponse, metadata, {});
    const conn: Connection = { address, client, call, metadata, ended: false };
    this.connection = conn;
    call.on('data', (response: DiscoveryResponse) => {
      this.backoff.reset();
      // The queue must survive a failure: one rejected link would skip every later response while
      // the stream still looks healthy.
      this.queue = this.queue.then(() => this.onResponse(conn, response)).catch((err: unknown) => {
        this.options.log?.error({ err, type: response.type }, 'handling a discovery response failed');
        this.nack(conn, response, NackCode.ApplyFailed, `the proxy failed handling the response: ${(err as Error)?.message ?? String(err)}`, [], []);
      });
    });
    call.on('error', (err: grpc.ServiceError) => this.onEnd(conn, err));
    call.on('end', () => this.onEnd(conn, undefined));
    this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableAfterMs ?? 5000);
    this.stableTimer.unref();

    const kinds = this.options.kinds ?? KINDS;
    kinds.forEach((type, i) => {
      call.write(
        create(DiscoveryRequestSchema, {
          ...(i === 0 ? { node: this.nodeToSend(), knownRevision: BigInt(this.configRevision), health: [...this.healthReports.values()] } : {}),
          type,
          subscribe: ['*'],
          initialResourceVersions: Object.fromEntries(this.versions.get(type) ?? []),
        }),
      );
    });
    this.emit('connected', address);
    this.options.log?.info({ address }, 'discovery stream opened');
  }

  /** The node as configured; once draining, its self endpoint says so. */
  private nodeToSend(): DiscoveryClientOptions['node'] {
    const node = this.options.node;
    if (!this.draining || node.selfEndpoint === undefined) return node;
    const e = node.selfEndpoint;
    const self = create(EndpointSchema, { address: e.address ?? '', port: e.port ?? 0, zone: e.zone ?? '', weight: e.weight ?? 0, health: Health.DRAINING });
    return { ...node, selfEndpoint: self };
  }

  private onEnd(conn: Connection, err: grpc.ServiceError | undefined): void {
    if (conn.ended) return;
    conn.ended = true;
    clearTimeout(this.stableTimer);
    conn.call.cancel();
    conn.client.close();
    this.emit('disconnected', conn.address, err);
    if (this.stopped) return;
    // Try the next replica; keep serving the last good configuration meanwhile.
    this.addressIndex++;
    const delay = this.backoff.next();
    this.options.log?.warn({ address: conn.address, code: err?.code, details: err?.details, retryInMs: delay }, 'discovery stream ended; reconnecting');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private disconnect(): void {
    const conn = this.connection;
    if (conn === undefined || conn.ended) return;
    conn.ended = true;
    conn.call.cancel();
    conn.client.close();
  }

  private async onResponse(conn: Connection, response: DiscoveryResponse): Promise<void> {
    if (conn.ended) return; // a response of a stream that is gone: the next stream gets it again
    this.emitSafely('response', response);
    const checked = checkResponse(this.config, response);
    if (!checked.ok) {
      this.nack(conn, response, checked.code, checked.message, checked.errors, checked.rejected);
      return;
    }
    try {
      await this.options.apply(checked.next, response.revision > 0n ? Number(response.revision) : this.configRevision);
    } catch (err) {
      // An error carrying field errors (`errors: [{path, message}]`, as the proxy runtime reports
      // them) passes them on to the NACK.
      const fieldErrors = (err as { errors?: unknown }).errors;
      const errors = Array.isArray(fieldErrors) ? fieldErrors.filter((e): e is { path: string; message: string } => typeof e?.path === 'string' && typeof e?.message === 'string') : [];
      this.nack(conn, response, NackCode.ApplyFailed, (err as Error).message ?? String(err), errors, []);
      return;
    }
    this.config = checked.next;
    this.configRevision = Number(response.revision);
    let versions = this.versions.get(checked.kind);
    if (versions === undefined) this.versions.set(checked.kind, (versions = new Map()));
    for (const [name, version] of checked.versions) versions.set(name, version);
    for (const name of response.removedResources) versions.delete(name);
    this.persist();
    if (!conn.ended) conn.call.write(create(DiscoveryRequestSchema, { type: response.type, responseNonce: response.nonce }));
    this.emitSafely('applied', this.configRevision, checked.kind);
  }

  /** Emits to listeners without letting a throwing listener break the response queue. */
  private emitSafely<E extends keyof DiscoveryClientEvents>(event: E, ...args: DiscoveryClientEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: DiscoveryClientEvents[E]) => boolean)(event, ...args);
    } catch (err) {
      this.options.log?.error({ err, event }, 'a discovery client listener threw');
    }
  }

  private nack(conn: Connection, response: DiscoveryResponse, code: string, message: string, errors: Array<{ path: string; message: string }>, rejected: string[]): void {
    const text = [message, ...errors.map((e) => `${e.path}: ${e.message}`)].join('\n');
    this.options.log?.warn({ type: response.type, revision: Number(response.revision), error: text }, 'rejected a configuration update; keeping the last good one');
    if (!conn.ended) {
      conn.call.write(
        create(DiscoveryRequestSchema, {
          type: response.type,
          responseNonce: response.nonce,
          errorDetail: { code, message, errors, rejectedResources: rejected },
        }),
      );
    }
    this.emitSafely('rejected', Number(response.revision), response.type as Kind, text);
  }

  /** Writes the file after each apply; writes that pile up collapse into one. */
  private persist(): void {
    const path = this.options.persistPath;
    if (path === undefined) return;
    if (this.persisting !== undefined) {
      this.persistAgain = true;
      return;
    }
    this.persisting = (async () => {
      do {
        this.persistAgain = false;
        try {
          await saveLastGood(path, { revision: this.configRevision, set: this.config, versions: this.versions });
        } catch (err) {
          this.options.log?.error({ err, path }, 'cannot write the last good configuration');
        }
      } while (this.persistAgain);
      this.persisting = undefined;
    })();
  }
}
