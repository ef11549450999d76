// The `sluice proxy` application: a ProxyHttp built from the library that routes by Route resources,
// runs each route's filters, and forwards to Cluster endpoints. Configuration arrives as a whole
// ResourceSet (from a config file or the discovery client) and becomes a new Snapshot.
import type { FieldError } from '../../../proto/src/model/field-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { ProxyError, ProxyErrorCode } from '../errors.js';
import { compressionStats } from '../filters/compression-stats.js';
import { MirrorStats } from '../metrics/mirror-stats.js';
import { DEFAULT_MIRROR_TIMEOUT_MS, RequestMirroring } from './request-mirror.js';
import { FilterRegistry } from '../filters/filter-registry.js';
import { HttpProxy } from '../proxy/http-proxy.js';
import type { MaybePromise, ProxyHttp } from '../proxy/proxy-http.js';
import type { ProxyServerOptions } from '../proxy/proxy-server.js';
import type { Session } from '../proxy/session.js';
import type { ResponseHead } from '../protocols/http1/response-head.js';
import type { CompiledRoute } from '../routing/compiled-route.js';
import { buildSnapshot, type Snapshot } from '../snapshot/snapshot.js';
import type { ClusterContext, ClusterState } from '../snapshot/cluster-state.js';

import { clusterEndpointKey, type Peer } from '../upstream/peer.js';
import { CircuitBreaker } from '../upstream/circuit-breaker.js';
import type { EjectionReport, EjectionVerdict } from '../upstream/health/ejection.js';
import { SharedEjections } from '../upstream/health/shared-ejections.js';
import { refusedConnectCode } from '../upstream/refused-connect.js';
import type { UpstreamRequest } from '../upstream/upstream-client.js';
import { performance } from 'node:perf_hooks';
import type { Transform } from 'node:stream';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { EventLoopDelay } from '../metrics/event-loop-delay.js';
import { ListenerManager } from './listener-manager.js';
import { AuthorizationStats } from '../authorization/authorization-stats.js';
import type { AuthzDecision, Workload } from '../authorization/authorizer.js';
import { connectionOf } from '../authorization/caller-identity.js';
import { DEFAULT_INBOUND_MODE, inboundModeOf, type InboundMode } from '../authorization/peer-authentication-mode.js';
import { INBOUND_LISTENER } from '../cli/sidecar-listener-names.js';
import { FORWARDED_CLIENT_CERT, forwardedClientCert } from '../identity/forwarded-client-cert.js';
import { MeshTls } from '../identity/mesh-tls.js';
import type { WorkloadIdentity } from '../identity/workload-identity.js';
import type { RequestTrace } from '../tracing/request-trace.js';
import type { Tracing } from '../tracing/tracing.js';
import { registerSpanMetrics } from '../tracing/span-metrics.js';
import { TcpStats } from '../tcp/tcp-stats.js';
import type { TcpConnectionRecord } from '../tcp/tcp-proxy-server.js';
import { Health } from '../../../proto/src/model/enums.js';

/** Per-request state of the mesh application. */
export interface MeshCtx {
  /** The snapshot the request started on; it finishes on it whatever updates arrive meanwhile. */
  readonly snapshot: Snapshot;
  route: CompiledRoute | undefined;
  cluster: ClusterState | undefined;
  /** When the current try's endpoint was picked (performance.now()). */
  upstreamStartMs: number;
  /** From picking the answering endpoint to its response head; -1 until a response head arrives. */
  upstreamMs: number;
  /** The authorization decision, when a policy guards the request's listener (access log: rbac*). */
  authz: AuthzDecision | undefined;
  /** The request's part in its trace, when tracing is on. */
  trace: RequestTrace | undefined;
}

export type ApplyResult = { readonly ok: true; readonly version: number } | { readonly ok: false; readonly errors: FieldError[] };

export interface MeshProxyOptions {
  readonly filters?: FilterRegistry;
  /** Options for every listener's server (limits come from each Listener resource). */
  readonly server?: ProxyServerOptions;
  readonly warn?: (message: string) => void;
  /** Called once per request after it ends (access logs); `ctx` is undefined when no configuration was loaded yet. */
  readonly onRequest?: (session: Session, error: ProxyError | undefined, ctx: MeshCtx | undefined) => void;
  /** The proxy's zone (--zone): each cluster prefers its endpoints in it (selectPeers). */
  readonly localZone?: string;
  /** The proxy's --service and --namespace: which AuthorizationPolicy selectors pick it. Default: neither. */
  readonly workload?: Workload;
  /**
   * The proxy is meant to hold a workload certificate (it has a bootstrap token): endpoints with an
   * `identity` are then reached with mutual TLS only (identity/mesh-tls.ts). Default false.
   */
  readonly meshTls?: boolean;
  /** Traces requests (tracing/tracing.ts); its sampling follows the Telemetry resources. Default: off. */
  readonly tracing?: Tracing;
  /** Called once per connection of a TCP listener after it closed (access logs). */
  readonly onTcpConnection?: (record: TcpConnectionRecord) => void;
}

export class MeshProxy implements ProxyHttp<MeshCtx> {
  readonly engine: HttpProxy<MeshCtx>;
  readonly listeners: ListenerManager;
  readonly metrics: ProxyMetrics;
  private readonly eventLoopDelay = new EventLoopDelay();
  /** Authorization decisions, for sluice_proxy_rbac_decisions_total. */
  readonly authorizationStats = new AuthorizationStats();
  private current: Snapshot | undefined;
  private readonly filters: FilterRegistry;
  private applying: Promise<unknown> = Promise.resolve();
  /** Circuit breakers by cluster name, for the life of the process: an update must not reset the open-connection counts they limit. */
  private readonly breakers = new Map<string, CircuitBreaker>();
  /** The active health checks' verdicts by `cluster\0address:port`: every snapshot built later keeps them. */
  private readonly activeHealth = new Map<string, { readonly health: Health; readonly reason: string }>();
  private readonly clusterContext: ClusterContext;
  /** The proxy's ejections by `cluster\0address:port`, with when each arrived: snapshots built later start with them. */
  private readonly ejections = new Map<string, { readonly verdict: EjectionVerdict; readonly atMs: number }>();
  /** Where this process's own ejections go: its own SharedEjections, or the primary (reportEjectionsTo). */
  private reportEjection: (report: EjectionReport) => void;
  private localEjections: SharedEjections | undefined;
  /** The workload certificate's TLS, for mesh endpoints and the sidecar's inbound listener. */
  readonly meshTls: MeshTls;
  /** The inbound listener's PeerAuthentication mode, from the current snapshot. */
  private inboundMode: InboundMode = DEFAULT_INBOUND_MODE;
  /** Shadow copies of the requests of routes with Forward.mirrors. */
  private readonly mirroring = new RequestMirroring(new MirrorStats());
  /** Connections and bytes of the TCP listeners. */
  readonly tcpStats = new TcpStats();

  constructor(private readonly options: MeshProxyOptions = {}) {
    this.filters = options.filters ?? new FilterRegistry();
    this.engine = new HttpProxy(this);
    this.meshTls = new MeshTls(options.meshTls ?? false);
    this.listeners = new ListenerManager(this.engine, options.server, options.warn, {
      listener: INBOUND_LISTENER,
      inbound: { mode: () => this.inboundMode, tls: this.meshTls },
    }, {
      // Each new connection takes the newest snapshot's cluster; piped ones keep the peer they have.
      cluster: (name) => this.current?.clusters.get(name),
      breaker: (name) => this.breakers.get(name),
      stats: this.tcpStats,
      ...(options.onTcpConnection ? { onConnection: options.onTcpConnection } : {}),
    });
    this.metrics = new ProxyMetrics({
      clusters: () => this.current?.clusters.values() ?? [],
      downstreamConnections: () => this.listeners.connectionCount(),
      downstreamClosed: () => this.listeners.closedConnections.values(),
      tlsHandshakes: () => this.listeners.tlsHandshakes.values(),
      breakers: () => this.breakers.values(),
      rbacDecisions: () => this.authorizationStats.values(),
      compression: () => compressionStats.values(),
      eventLoopDelay: () => this.eventLoopDelay.snapshot(),
      mirrored: () => this.mirroring.stats.values(),
    });
    if (options.tracing !== undefined) registerSpanMetrics(options.tracing, this.metrics.registry);
    this.tcpStats.register(this.metrics.registry);
    this.clusterContext = {
      localZone: options.localZone ?? '',
      activeHealth: (cluster, address, port) => this.activeHealth.get(clusterEndpointKey(cluster, address, port)),
      onEjection: (report) => {
        this.metrics.outlierChanged(report.cluster, true);
        this.reportEjection(report);
      },
      meshTls: this.meshTls,
      ejection: (cluster, address, port) => {
        const e = this.ejections.get(clusterEndpointKey(cluster, address, port));
        return e === undefined ? undefined : { ...e.verdict, ejectedMs: Math.max(0, e.verdict.ejectedMs - (performance.now() - e.atMs)) };
      },
    };
    // A process on its own probes the endpoints that refused and shares nothing; a worker's primary does it for every worker.
    const local = (this.localEjections = new SharedEjections((verdicts) => this.applyEjections(verdicts), { meshTls: this.meshTls }));
    this.reportEjection = (report) => local.report(report);
  }

  /**
   * Sends this process's ejections to `report` (a worker: to the primary, whose SharedEjections
   * answers every worker through applyEjections) instead of handling them here.
   */
  reportEjectionsTo(report: (report: EjectionReport) => void): void {
    this.localEjections?.stop();
    this.localEjections = undefined;
    this.reportEjection = report;
  }

  /** The proxy's ejection verdicts (SharedEjections): applied at once, and kept for snapshots built later. */
  applyEjections(verdicts: readonly EjectionVerdict[]): void {
    const now = performance.now();
    for (const v of verdicts) {
      const key = clusterEndpointKey(v.cluster, v.address, v.port);
      if (v.ejectedMs > 0 || v.refused) this.ejections.set(key, { verdict: v, atMs: now });
      else this.ejections.delete(key);
      this.current?.clusters.get(v.cluster)?.adoptEjection(`${v.address}:${v.port}`, v);
    }
  }

  /**
   * The active health check's verdict on an endpoint, from the process that runs the checks.
   * Applies at once, without a new snapshot: the cluster's balancer is rebuilt. UNHEALTHY takes the
   * endpoint out; HEALTHY and UNKNOWN (no longer checked) leave the decision to the pushed health and
   * outlier detection. Kept for clusters and snapshots that arrive later.
   */
  setActiveHealth(cluster: string, address: string, port: number, health: Health, reason: string): void {
    const key = clusterEndpointKey(cluster, address, port);
    if (health === Health.UNKNOWN) this.activeHealth.delete(key);
    else this.activeHealth.set(key, { health, reason });
    this.current?.clusters.get(cluster)?.setActiveHealth(`${address}:${port}`, health, reason);
  }

  /** The workload certificate (renewed, or after a trust-bundle change): new handshakes use it. */
  setWorkloadIdentity(identity: WorkloadIdentity | undefined): void {
    this.meshTls.set(identity);
  }

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /**
   * Validates `set` (every resource and its references), builds a snapshot and swaps it in, then
   * opens and drains listeners to match. On errors nothing changes and the previous snapshot keeps
   * serving (NACK these errors). Updates are applied one at a time, in call order.
   */
  applyResources(set: ResourceSet): Promise<ApplyResult> {
    return this.inTurn(async () => {
      // Loaded on first use: a worker applies what its primary validated, and leaving validation
      // (and protobuf with it) unloaded keeps each worker's memory small.
      const { validateResourceSet } = await import('../../../proto/src/model/validate-resource-set.js');
      const errors = validateResourceSet(set);
      return errors.length > 0 ? { ok: false, errors } : this.applyNow(set);
    });
  }

  /**
   * applyResources for a set that was validated already, as a whole or by what changed (the discovery
   * client's checkResponse, a --config file, the primary of a worker): validating 10,000 resources
   * again on every update would cost more than building the snapshot. A set that was not validated
   * can break routing in ways no error reports (a route to a cluster that does not exist).
   */
  applyValidated(set: ResourceSet): Promise<ApplyResult> {
    return this.inTurn(() => this.applyNow(set));
  }

  /** Runs `apply` once every update before it finished. */
  private inTurn(apply: () => Promise<ApplyResult>): Promise<ApplyResult> {
    const run = this.applying.then(apply);
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(set: ResourceSet): Promise<ApplyResult> {
    const built = buildSnapshot(set, this.current, this.filters, this.clusterContext, this.options.workload);
    if (!built.ok) return built;
    this.refreshBreakers(built.snapshot);
    const previous = this.current;
    this.current = built.snapshot;
    const workload = this.options.workload ?? { service: '', namespace: '' };
    this.inboundMode = inboundModeOf(set.list('PeerAuthentication'), workload).mode;
    this.options.tracing?.configure(set.list('Telemetry'), workload);
    // Pool counters of endpoints leaving the configuration stay in their cluster's metrics.
    for (const cluster of built.retiredClusters) this.metrics.retire(cluster.name, cluster.peers);
    for (const cluster of built.snapshot.clusters.values()) if (previous?.clusters.get(cluster.name) !== cluster) this.metrics.retire(cluster.name, cluster.retiredPeers);
    // Requests that started on the old snapshot may still use these: closing a pool closes idle
    // connections now and busy ones when their request ends.
    for (const cluster of built.retiredClusters) cluster.close();
    for (const peer of built.retiredPeers) peer.close();
    this.localEjections?.update(set);
    const bindErrors = await this.listeners.apply(built.snapshot.listeners, (name) => set.get('Certificate', name));
    if (bindErrors.length > 0) return { ok: false, errors: bindErrors };
    return { ok: true, version: built.snapshot.version };
  }

  /** New limits for every cluster's breaker, and every pool counts its connections against it. */
  private refreshBreakers(snapshot: Snapshot): void {
    for (const cluster of snapshot.clusters.values()) {
      let breaker = this.breakers.get(cluster.name);
      if (breaker === undefined) this.breakers.set(cluster.name, (breaker = new CircuitBreaker(cluster.name)));
      breaker.configure(cluster.cluster.circuitBreakers);
      for (const peer of cluster.peers) peer.pool.connectionGate = breaker;
    }
  }

  /** Circuit breakers (HttpProxy asks once per proxied request). */
  circuitBreaker(_session: Session, ctx: MeshCtx): CircuitBreaker | undefined {
    return ctx.cluster === undefined ? undefined : this.breakers.get(ctx.cluster.name);
  }

  /** Stops every listener (draining) and closes upstream pools. */
  async close(): Promise<void> {
    this.localEjections?.stop();
    this.eventLoopDelay.stop();
    await this.listeners.close();
    for (const cluster of this.current?.clusters.values() ?? []) cluster.close();
  }

  // ---- ProxyHttp -------------------------------------------------------------------------------

  newCtx(): MeshCtx {
    const snapshot = this.current;
    if (snapshot === undefined) throw new ProxyError(ProxyErrorCode.NoRoute, 'no configuration yet');
    return { snapshot, route: undefined, cluster: undefined, upstreamStartMs: 0, upstreamMs: -1, authz: undefined, trace: undefined };
  }

  requestFilter(session: Session, ctx: MeshCtx): MaybePromise<boolean> {
    // The server span starts first: denied and locally answered requests are traced too.
    if (this.options.tracing !== undefined) ctx.trace = this.options.tracing.start(session);
    // Authorization first, before routing, as Envoy's RBAC filter runs before its router: a denied
    // caller learns nothing of which routes exist.
    const authz = (ctx.authz = ctx.snapshot.authorization.authorize(session));
    if (authz !== undefined) {
      this.authorizationStats.record(authz);
      if (authz.result === 'denied') throw new ProxyError(ProxyErrorCode.RbacDenied, 'access denied');
    }
    const route = ctx.snapshot.matcher(session.listener.name).match(session);
    if (route === undefined) throw new ProxyError(ProxyErrorCode.NoRoute, `no route for ${session.host}${session.path}`);
    ctx.route = route;
    if (route.maxRequestBodyBytes > 0) session.maxRequestBodyBytes = route.maxRequestBodyBytes;
    if (route.streamRequestBody) session.bodyBufferBytes = 0;
    if (route.timeoutMs > 0) session.timeoutMs = route.timeoutMs;
    session.retryPolicy = route.retryPolicy;
    return route.filters.length === 0 ? this.act(session, ctx, route) : this.runFilters(session, ctx, route, 0);
  }

  /** Runs the route's request filters in order; the first that answers ends the request. */
  private runFilters(session: Session, ctx: MeshCtx, route: CompiledRoute, from: number): MaybePromise<boolean> {
    const filters = route.filters;
    for (let i = from; i < filters.length; i++) {
      const hook = filters[i]!.requestFilter;
      if (hook === undefined) continue;
      const r = hook.call(filters[i], session, ctx);
      if (r instanceof Promise) return r.then((done) => (done === true || session.responseStarted ? true : this.runFilters(session, ctx, route, i + 1)));
      if (r === true || session.responseStarted) return true;
    }
    return this.act(session, ctx, route);
  }

  private act(session: Session, ctx: MeshCtx, route: CompiledRoute): boolean {
    const action = route.action;
    switch (action.kind) {
      case 'respond':
        session.respond(action.status, action.body, action.headers);
        return true;
      case 'redirect':
        session.respond(action.redirect.status, '', ['location', action.redirect.location(session)]);
        return true;
      default: {
        const name = route.pickCluster()!;
        const cluster = ctx.snapshot.clusters.get(name);
        if (cluster === undefined) throw new ProxyError(ProxyErrorCode.UnknownCluster, `cluster "${name}" is not in the configuration`);
        ctx.cluster = cluster;
        if (route.rewritePathPrefix !== undefined) session.target = route.rewriteTarget(session);
        if (route.rewriteHost !== undefined) session.upstreamHost = route.rewriteHost;
        return false;
      }
    }
  }

  upstreamPeer(session: Session, ctx: MeshCtx): Peer {
    ctx.trace?.nextTry();
    const peer = ctx.cluster!.pick(session, session.triedPeers);
    if (peer === undefined) throw new ProxyError(ProxyErrorCode.NoHealthyUpstream, `cluster "${ctx.cluster!.name}" has no endpoint that can take traffic`);
    ctx.upstreamStartMs = performance.now();
    return peer;
  }

  upstreamRequestFilter(session: Session, request: UpstreamRequest, ctx: MeshCtx): void {
    const route = ctx.route!;
    // Before the route's header edits: a route may still add to it or remove it.
    const xfcc = forwardedClientCert(connectionOf(session.req));
    if (xfcc !== undefined) request.headers.set(FORWARDED_CLIENT_CERT, xfcc);
    // Before the route's header edits too: the trace context is the proxy's, a route may still remove it.
    ctx.trace?.beginAttempt(session, request, session.triedPeers[session.triedPeers.length - 1]!, ctx.upstreamStartMs);
    route.requestHeaders?.apply(request.headers);
    const filters = route.filters;
    for (let i = 0; i < filters.length; i++) filters[i]!.upstreamRequestFilter?.(session, request, ctx);
    // The first try only: a retry is the same request, and the shadow already has its copy.
    if (route.mirrors.length > 0 && session.triedPeers.length === 1) {
      this.mirroring.mirror(session, request, route.name, route.mirrors, ctx.snapshot.clusters, route.timeoutMs || DEFAULT_MIRROR_TIMEOUT_MS);
    }
  }

  /** Passive health sees every answer, retried ones too: one property read without outlier_detection. */
  upstreamResponse(_session: Session, peer: Peer, status: number, ctx: MeshCtx): void {
    ctx.trace?.upstreamStatus(status);
    const outlier = ctx.cluster?.outlier;
    if (outlier !== undefined) outlier.onStatus(peer, status);
  }

  responseFilter(session: Session, response: ResponseHead, ctx: MeshCtx): void {
    ctx.upstreamMs = performance.now() - ctx.upstreamStartMs;
    const route = ctx.route!;
    route.responseHeaders?.apply(response.headers);
    const filters = route.filters;
    for (let i = 0; i < filters.length; i++) filters[i]!.responseFilter?.(session, response, ctx);
  }

  /** The first of the route's filters that supplies a Transform for the response body gets it. */
  responseBodyTransform(session: Session, response: ResponseHead, ctx: MeshCtx): Transform | undefined {
    const filters = ctx.route!.filters;
    for (let i = 0; i < filters.length; i++) {
      const transform = filters[i]!.responseBodyTransform?.(session, response, ctx);
      if (transform !== undefined) return transform;
    }
    return undefined;
  }

  /** Outlier detection counts a failed connect against the endpoint (a refusal ejects it); the error goes on unchanged. */
  failToConnect(session: Session, peer: Peer, error: ProxyError, ctx: MeshCtx): ProxyError {
    ctx.trace?.attemptFailed(session, error, peer, ctx.upstreamStartMs);
    const outlier = ctx.cluster?.outlier;
    if (outlier === undefined) return error;
    const refused = refusedConnectCode(error);
    if (refused === undefined) outlier.onFailure(peer, 'connect');
    else outlier.onFailure(peer, 'refused', `connect refused (${refused})`);
    return error;
  }

  /** Outlier detection counts a reset or timeout after connecting; the error goes on unchanged. */
  errorWhileProxy(session: Session, peer: Peer, error: ProxyError, ctx: MeshCtx): ProxyError {
    ctx.trace?.attemptFailed(session, error, peer, ctx.upstreamStartMs);
    ctx.cluster?.outlier?.onFailure(peer, 'reset');
    return error;
  }

  logging(session: Session, error: ProxyError | undefined, ctx: MeshCtx): void {
    this.metrics.record(session, error, ctx?.route, ctx?.cluster, ctx === undefined || ctx.upstreamMs < 0 ? -1 : ctx.upstreamMs / 1000);
    const filters = ctx?.route?.filters;
    if (filters !== undefined) for (let i = 0; i < filters.length; i++) filters[i]!.logging?.(session, error, ctx);
    ctx?.trace?.end(session, error, { route: ctx.route?.name, cluster: ctx.cluster?.name });
    this.options.onRequest?.(session, error, ctx);
  }
}
