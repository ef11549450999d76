// Starts one proxy from its validated options: the runtime in this process (--workers 1) or a pool of
// worker processes, the configuration from a file or from the control plane, and the admin server.
// `sluice proxy` runs it until a signal; `sluice start` embeds it beside the control plane.
import type { AddressInfo } from 'node:net';
import { formatFieldErrors, type FieldError } from '../../../proto/src/model/field-error.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';
import { ListenError } from '../../../proto/src/model/listen-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import type { JsonObject } from '@bufbuild/protobuf';
import { startAdminServer, type AdminSource } from '../admin/admin-server.js';
import { adminTokenSource } from '../admin/admin-token.js';
import { diagnoseProxy } from '../diagnostics/diagnose-proxy.js';
import type { AccessLogOptions } from '../logging/access-log.js';
import { clusterReports, mergeClusterReports, type ClusterReport } from '../metrics/cluster-report.js';
import { ConfigMetrics } from '../metrics/config-metrics.js';
import { metricsText, type MetricsJson } from '../metrics/metrics-text.js';
import type { FollowedControlPlane } from './follow-control-plane.js';
import { loadProxyConfig, type ProxyConfig } from './load-proxy-config.js';
import type { ProxyOptions } from './proxy-options.js';
import { ProxyRuntime } from './proxy-runtime.js';
import { resourcesToJson } from './resources-json.js';
import { withSidecar, type SidecarFlags } from './sidecar-resources.js';
import { StartListeners, tryStartPorts } from './start-listeners.js';
import { WorkerPool, type ReloadResult } from './worker-pool.js';
import { bootstrapToken, certsAnswer } from './workload-certificate.js';
import type { CertificateRotator } from '../identity/certificate-rotator.js';
import { startProxyHealthChecks } from '../upstream/health/proxy-health-checks.js';
import { SharedEjections } from '../upstream/health/shared-ejections.js';
import { MeshTls } from '../identity/mesh-tls.js';
import { selectsWorkload } from '../../../proto/src/model/selects-workload.js';
import { configView } from '../../../proto/src/model/config-view.js';
import { Tracing, tracingSettingsFromEnv } from '../tracing/tracing.js';
import { TicketKeyRotation } from '../tls/ticket-keys.js';
import type { SeriesTraffic } from '../metrics/traffic-deltas.js';
import { TrafficReporter } from '../discovery/traffic-reporter.js';
import { TokenLeaseAuthority } from '../filters/token-lease-authority.js';
import { RateLimitMetrics } from '../metrics/rate-limit-metrics.js';
import { ControlPlaneBorrow } from './control-plane-borrow.js';

export interface RunningProxy {
  /** The admin server's address (port 0 resolved), unless --admin-listen off. */
  readonly adminAddress: AddressInfo | undefined;
  /** Whether a configuration is applied (in every worker) and no drain started: what /ready says. */
  ready(): boolean;
  /**
   * Stops following the control plane, makes /ready answer 503, drains the listeners (or workers) for
   * up to `drainTimeoutMs` (default --drain-timeout-ms; 0 closes every connection now), then closes
   * the admin server. A second call with a shorter time cuts a running drain short.
   */
  stop(options?: { readonly drainTimeoutMs?: number }): Promise<void>;
  /** Replaces the workers one by one with freshly loaded code (WorkerPool.reload); rejects with ReloadUnsupported for --workers 1. */
  reload(): Promise<ReloadResult>;
}

/** `--workers 1` serves in the primary process itself: its code cannot be swapped under it. */
export class ReloadUnsupported extends Error {
  /** What POST /reload answers (409 Conflict: not possible in this process's state). */
  readonly status = 409;
  constructor() {
    super('reload needs --workers 2 or more: with --workers 1 the proxy serves in its own process, whose code cannot be swapped; restart it instead (SIGTERM drains)');
    this.name = 'ReloadUnsupported';
  }
}

export interface StartProxyExtras {
  /** Gets the start-up lines (`sluice proxy: ...`); stdout by default. */
  readonly print?: (line: string) => void;
  /** The discovery token itself, for a process that embeds the proxy (`sluice start`). */
  readonly token?: string;
  /** A bootstrap token itself (in place of --bootstrap-token-file), for a process that embeds the proxy. */
  readonly bootstrapToken?: string;
  /** The flag that gave the admin address, for the error when it cannot bind (default --admin-listen). */
  readonly adminFlag?: string;
  /** Listeners given at start by the embedding command: name → flag. Unbindable, they stop the process. */
  readonly startListeners?: ReadonlyMap<string, string>;
}

export async function startProxy(given: ProxyOptions, extras: StartProxyExtras = {}): Promise<RunningProxy> {
  const print = extras.print ?? ((line: string) => console.log(line));
  const { workers } = given;
  // Read first: a missing --admin-token-file stops the proxy before it binds or forks anything.
  const adminToken = adminTokenSource(given.adminTokenFile, process.env);
  // Before any worker starts: a taken sidecar port stops the proxy at once; an inbound port 0 becomes
  // a real one here, so the endpoint the sidecar registers is the port it listens on.
  const options: ProxyOptions = { ...given, ...(await tryStartPorts(given)) };
  const sidecar: SidecarFlags = options;

  let userFilters: ProxyConfig['userFilters'] = [];
  let baseDir = process.cwd();
  let fileResources: ResourceSet | undefined;
  if (options.config !== undefined) {
    const loaded = await loadProxyConfig(options.config);
    if (!loaded.ok) throw new Error(`${options.config} is not a valid configuration:\n${formatFieldErrors(loaded.errors)}`);
    ({ userFilters, baseDir } = loaded.config);
    fileResources = loaded.config.resources;
  }
  const startListeners = new StartListeners(sidecar, fileResources && { path: options.config!, resources: fileResources }, extras.startListeners);

  // One way to apply a configuration, whichever its source: in-process, or to every worker.
  let applyTo: (set: ResourceSet) => Promise<FieldError[]>;
  const accessLog: AccessLogOptions | undefined = options.accessLog === undefined ? undefined : { destination: options.accessLog, sampleRate: options.accessLogSampleRate };
  const configMetrics = new ConfigMetrics();
  let workerMetrics: () => Promise<MetricsJson[]>;
  let workerTraffic: () => Promise<SeriesTraffic[][]>;
  let clusters: () => Promise<ClusterReport[][]>;
  let stopServing: (drainTimeoutMs: number) => Promise<void>;
  let runtime: ProxyRuntime | undefined;
  let pool: WorkerPool | undefined;
  // Workers share their ejections through the primary, which probes refused endpoints as it runs the
  // active checks; a single process does both in its MeshProxy.
  // With a bootstrap token the proxy gets a workload certificate: mesh endpoints take mutual TLS only.
  const token = options.controlPlane === undefined ? undefined : (extras.bootstrapToken ?? bootstrapToken(options));
  // The primary of workers probes endpoints too (health checks, refusals): with the workers' certificate.
  const primaryMeshTls = workers === 1 ? undefined : new MeshTls(token !== undefined);
  const ejections = workers === 1 ? undefined : new SharedEjections((verdicts) => pool?.setEjections(verdicts), { meshTls: primaryMeshTls! });
  // The proxy's rate-limit buckets, here (or, with workers, lent to them); `scope: mesh` ones are
  // borrowed from the control plane on the discovery connection, once there is one.
  const rateLimitMetrics = new RateLimitMetrics();
  const meshBorrow = new ControlPlaneBorrow(rateLimitMetrics, options.controlPlane !== undefined);
  const tokens = new TokenLeaseAuthority(meshBorrow.channel);
  if (workers === 1) {
    const tracing = await Tracing.fromEnv(process.env, { service: options.service, namespace: options.namespace, nodeId: options.nodeId });
    const rt = (runtime = new ProxyRuntime({
      ...(accessLog === undefined ? {} : { accessLog }),
      localZone: options.zone,
      workload: { service: options.service, namespace: options.namespace },
      meshTls: token !== undefined,
      ...(tracing === undefined ? {} : { tracing }),
      tokenSources: tokens.sources,
    }));
    applyTo = async (set) => {
      const r = await rt.apply(set, userFilters, baseDir);
      return r.ok ? [] : r.errors;
    };
    workerMetrics = async () => [await rt.mesh.metrics.json()];
    workerTraffic = async () => [rt.mesh.metrics.takeTraffic()];
    clusters = async () => [clusterReports(rt.mesh.snapshot?.clusters.values() ?? [], rt.mesh.metrics)];
    stopServing = (drainTimeoutMs) => rt.mesh.listeners.close(drainTimeoutMs).then(() => rt.mesh.close()).finally(() => rt.flushTelemetry());
  } else {
    // Workers read the access-log settings from their environment (proxy-command.ts).
    const env: Record<string, string> = accessLog === undefined ? {} : { SLUICE_ACCESS_LOG: accessLog.destination, SLUICE_ACCESS_LOG_SAMPLE_RATE: String(accessLog.sampleRate) };
    env['SLUICE_ZONE'] = options.zone;
    env['SLUICE_SERVICE'] = options.service;
    env['SLUICE_NAMESPACE'] = options.namespace;
    env['SLUICE_NODE_ID'] = options.nodeId;
    // Each worker traces what it serves (OTEL_* are inherited); a malformed value stops the start here.
    tracingSettingsFromEnv(process.env, { service: options.service, namespace: options.namespace });
    if (token !== undefined) env['SLUICE_MESH_TLS'] = '1';
    const wp = (pool = new WorkerPool(workers, env, options.drainTimeoutMs, ejections, tokens));
    await wp.start();
    applyTo = (set) => wp.apply(set, userFilters, baseDir);
    workerMetrics = () => wp.metrics();
    workerTraffic = () => wp.traffic();
    clusters = () => wp.clusters();
    stopServing = (drainTimeoutMs) => wp.stop(drainTimeoutMs);
  }
  // One set of TLS session ticket keys for the whole proxy, made and rotated here (ticket-keys.ts).
  const ticketKeys = new TicketKeyRotation(options.tlsTicketKeyRotationS * 1000, (keys) => (runtime !== undefined ? runtime.mesh.listeners.setTicketKeys(keys) : pool?.setTicketKeys(keys)));
  // Active health checks run in this process only (the primary with workers), as in Envoy's main thread.
  const healthChecks = startProxyHealthChecks((ts) => {
    if (runtime !== undefined) for (const t of ts) runtime.mesh.setActiveHealth(t.cluster, t.address, t.port, t.health, t.reason);
    else pool?.setHealth(ts.map(({ cluster, address, port, health, reason }) => ({ cluster, address, port, health, reason })));
  }, runtime?.mesh.meshTls ?? primaryMeshTls);
  let applied: ResourceSet | undefined;
  // `set` comes validated (a --config file, the discovery client's check): applied as it is.
  const apply = async (set: ResourceSet): Promise<FieldError[]> => {
    const withOwn = withSidecar(set, sidecar);
    const full = withOwn.ok ? withOwn.set : set;
    const errors = withOwn.ok ? await applyTo(full) : withOwn.errors;
    if (errors.length === 0) {
      applied = full;
      healthChecks.update(full);
      startListeners.bound(full);
      ejections?.update(full);
    }
    configMetrics.updated(errors.length === 0, options.controlPlane === undefined);
    return errors;
  };

  let discovery: FollowedControlPlane | undefined;
  let traffic: TrafficReporter | undefined;
  let rotator: CertificateRotator | undefined;
  if (fileResources !== undefined) {
    const errors = await apply(fileResources);
    if (errors.length > 0) {
      await stopServing(0);
      throw startListeners.failure(errors) ?? new Error(`configuration refused:\n${formatFieldErrors(errors)}`);
    }
  } else {
    // A start listener that cannot bind when the configuration first opens it stops the process;
    // any other refused update is NACKed (follow-control-plane.ts) and the proxy keeps serving.
    let exiting = false;
    const applyOrExit = async (set: ResourceSet): Promise<FieldError[]> => {
      const errors = await apply(set);
      const failure = startListeners.failure(errors);
      if (failure !== undefined && !exiting) {
        exiting = true;
        console.error(`sluice: ${failure.message}`);
        void stopServing(0).finally(() => process.exit(1));
      }
      return errors;
    };
    // Loaded only here: a proxy on a static file needs neither gRPC nor the X.509 library.
    const { followControlPlane } = await import('./follow-control-plane.js');
    discovery = await followControlPlane(options, applyOrExit, () => applied !== undefined, extras.token);
    meshBorrow.follow(discovery.client);
    // Attached before any response can arrive: start() only connected.
    if (discovery.client.revision > 0) configMetrics.setRevision(discovery.client.revision);
    discovery.client.on('applied', (revision) => configMetrics.setRevision(revision));
    discovery.client.on('rejected', () => configMetrics.nacked());
    healthChecks.reportTo(discovery.client);
    const client = discovery.client;
    if (options.trafficIntervalMs > 0) {
      traffic = new TrafficReporter({ intervalMs: options.trafficIntervalMs, connected: () => client.connectedTo !== undefined, take: workerTraffic, send: (summary) => client.reportTraffic(summary) });
    }
    print(`sluice proxy: following the control plane at ${options.controlPlane!.join(',')} as ${options.nodeId}`);
    // The workload certificate: made and renewed here, in the primary; its key goes only to the workers.
    if (token !== undefined) {
      const { followWorkloadCertificate } = await import('./follow-workload-certificate.js');
      rotator = followWorkloadCertificate(options, token, (identity) => {
        if (runtime !== undefined) runtime.identity = identity;
        else {
          primaryMeshTls?.set(identity);
          pool?.setIdentity(identity);
        }
      });
    }
  }
  if (runtime !== undefined) {
    for (const name of runtime.mesh.listeners.names()) {
      const a = runtime.mesh.listeners.address(name);
      print(`sluice proxy: listener ${name} on ${a?.address}:${a?.port}`);
    }
  } else if (applied !== undefined) {
    const served = applied.list('Listener').filter((l) => selectsWorkload(l.selector, options));
    print(`sluice proxy: ${workers} workers serving ${served.map((l) => `${l.name} on ${l.address}:${l.port}`).join(', ')}`);
  }
  const reload = (): Promise<ReloadResult> => (pool === undefined ? Promise.reject(new ReloadUnsupported()) : pool.reload());
  const source: AdminSource = {
    // A drain answers 503 at once, so load balancers stop sending before the listeners close.
    // A proxy with a bootstrap token is ready once it holds its certificate: before, every mesh
    // connection in or out would fail (as Istio's sidecar waits for its SDS secret).
    ready: () => applied !== undefined && (pool?.ready ?? true) && !draining && (token === undefined || rotator?.current !== undefined),
    // One page for the whole proxy: the workers' series summed, plus the primary's configuration metrics.
    metrics: async () => metricsText([...(await workerMetrics()), await configMetrics.registry.getMetricsAsJSON(), await healthChecks.metrics.registry.getMetricsAsJSON(), await rateLimitMetrics.registry.getMetricsAsJSON()]),
    clusters: async () => ({ clusters: mergeClusterReports(await clusters()) as unknown as JsonObject[] }),
    // Following a control plane, the dump names what it runs as Envoy's config_dump does (version_info):
    // the control-plane revision and each resource's version, so an operator can tell a proxy that is
    // behind from one that is current.
    configDump: () => ({
      ...(discovery === undefined ? {} : { revision: discovery.client.revision, versions: discovery.client.resourceVersions() }),
      resources: applied === undefined ? [] : resourcesToJson(applied, true),
    }),
    // What `sluice ctl proxy-config` compares with the control plane's intent. Resources the proxy
    // made from its own flags (sidecar listeners) are in `applied` but not in what the client holds.
    configView: (kinds) => {
      const versions = discovery?.client.resourceVersions() ?? {};
      const fromControlPlane = discovery?.client.current;
      return configView(kinds, applied?.all() ?? [], discovery?.client.revision ?? 0, (k, n) => versions[k]?.[n], (k, n) => fromControlPlane !== undefined && !fromControlPlane.has(k, n));
    },
    reload: async () => ({ replaced: (await reload()).replaced }) as unknown as JsonObject,
    certs: () => certsAnswer(rotator, async () => (pool !== undefined ? await pool.certificateSerials() : [runtime?.identity?.serialNumber])),
    debug: { adminToken, diagnose: diagnoseProxy(pool) },
  };
  let draining = false;
  let stopping: Promise<void> | undefined;
  const stop = (drainTimeoutMs: number): Promise<void> => {
    draining = true;
    // Already draining: a shorter time cuts it short (drain-server.ts); the first call's promise ends both.
    if (stopping !== undefined) return stopServing(drainTimeoutMs).then(() => stopping);
    stopping = (async () => {
      healthChecks.stop();
      traffic?.stop();
      ejections?.stop();
      ticketKeys.stop();
      rotator?.stop();
      // First: a registered sidecar turns DRAINING for every other proxy.
      await discovery?.client.announceDraining().catch(() => undefined);
      await discovery?.stop();
      await stopServing(drainTimeoutMs);
    })();
    return stopping;
  };
  const admin = options.admin;
  let adminServer: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  try {
    adminServer = admin === undefined ? undefined : await startAdminServer(source, admin.host, admin.port);
  } catch (err) {
    // Without its admin port the proxy could be neither probed (/live, /ready) nor watched: stop.
    await stop(0);
    throw new ListenError(extras.adminFlag ?? '--admin-listen', formatHostPort(admin!.host, admin!.port), err);
  }
  const adminAddress = (adminServer?.address() as AddressInfo | null) ?? undefined;
  if (adminAddress !== undefined) print(`sluice proxy: admin on http://${formatHostPort(adminAddress.address, adminAddress.port)} (/live, /ready, /metrics, /clusters, /config_dump, /certs${adminToken === undefined ? '' : ', /debug/*'})`);
  print('sluice proxy: ready');
  return {
    adminAddress,
    ready: source.ready,
    // The admin server stays up during the drain: /live 200, /ready 503.
    stop: async (o = {}) => {
      await stop(o.drainTimeoutMs ?? options.drainTimeoutMs);
      adminServer?.closeAllConnections();
      adminServer?.close();
    },
    reload,
  };
}
