// Discovery as a part of the control plane: snapshots built from the cache, the gRPC server on
// --discovery-listen (workload credentials, or an admin token), and the rollout routes of the admin API.
import type { ApiRoute } from '../api/api-route.js';
import type { WorkloadAuthenticator } from '../identity/workload-authenticator.js';
import { formatListenAddress } from '../api/api-server.js';
import type { ControlPlaneDeps, ControlPlaneModule, ControlPlaneModuleFactory } from '../module.js';
import { KINDS } from '../../../proto/src/model/kinds.js';
import { ListenError } from '../../../proto/src/model/listen-error.js';
import type { EndpointOverlay } from '../snapshot/effective-endpoints.js';
import { SnapshotBuilder } from '../snapshot/snapshot-builder.js';
import { DiscoveryServer, type DiscoveryServerOptions } from './discovery-server.js';
import type { DiscoveryHooks } from './discovery-hooks.js';
import { DiscoveryMetrics } from './discovery-metrics.js';
import { ProxyRegistry } from './proxy-registry.js';
import { SeenRevisions } from './seen-revisions.js';
import { FleetStatus } from './fleet-status.js';
import { FleetStatusPublisher, type FleetStatusPublisherOptions } from './fleet-status-publisher.js';
import { FleetView } from './fleet-view.js';
import { rolloutRoutes } from './rollout-api.js';
import { intendedConfigRoutes } from './intended-config-route.js';
import { TrafficService, type TrafficServiceOptions } from '../traffic/traffic-service.js';
import { trafficRoutes } from '../traffic/traffic-api.js';
import { TrafficPublisher } from '../traffic/traffic-publisher.js';
import { TrafficView } from '../traffic/traffic-view.js';

export interface DiscoveryModuleOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly debounceMs?: number;
  readonly hooks?: DiscoveryHooks;
  /** Health and registrations laid over the Endpoints sent (the health module's view). */
  readonly overlay?: EndpointOverlay;
  /** Checks the workload credentials proxies present; without it only admin tokens open streams. */
  readonly authenticator?: WorkloadAuthenticator;
  /** More gRPC services on the discovery port (IdentityService). */
  readonly services?: DiscoveryServerOptions['services'];
  /** How this replica publishes its proxies' status (fleet-status-publisher.ts); defaults otherwise. */
  readonly fleetStatus?: Pick<FleetStatusPublisherOptions, 'flushMs' | 'shards' | 'cardRefreshMs'>;
  /** The traffic window (traffic-service.ts): its length, and a clock for tests. */
  readonly traffic?: TrafficServiceOptions;
  readonly server?: Pick<DiscoveryServerOptions, 'credentials' | 'keepaliveTimeMs' | 'keepaliveTimeoutMs' | 'maxConnectionAgeMs' | 'maxConnectionAgeGraceMs' | 'sendBudgetBytes' | 'unansweredBudgetMs'>;
}

export class DiscoveryModule implements ControlPlaneModule {
  readonly registry = new ProxyRegistry();
  /** Every replica's proxies (its own live, the others' as published); its own only without a replica identity in deps. */
  readonly fleet: FleetStatus;
  /** Publishes this replica's proxies for the others; undefined without a replica identity in deps. */
  readonly publisher: FleetStatusPublisher | undefined;
  private readonly view: FleetView | undefined;
  private readonly trafficView: TrafficView | undefined;
  private readonly trafficPublisher: TrafficPublisher | undefined;
  private readonly seenRevisions = new SeenRevisions();
  readonly snapshots: SnapshotBuilder;
  /** The mesh's traffic from every proxy's summaries: GET /v1/traffic, and the dashboard's live feed (`traffic.report()`, `traffic.mesh()`). */
  readonly traffic: TrafficService;
  readonly server: DiscoveryServer;
  readonly routes: readonly ApiRoute[];
  private boundPort: number | undefined;

  constructor(private readonly deps: ControlPlaneDeps, private readonly options: DiscoveryModuleOptions) {
    const log = deps.log.child({ part: 'discovery' });
    this.snapshots = new SnapshotBuilder(deps.cache, {
      log,
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
      ...(options.overlay === undefined ? {} : { overlay: options.overlay }),
    });
    const metrics = new DiscoveryMetrics(deps.metrics, {
      connected: () => this.registry.size,
      snapshotRevision: () => this.snapshots.current.revision,
      cacheRevision: () => deps.cache.revision,
      firstSeenAfter: (after, upTo) => this.seenRevisions.firstSeenAfter(after, upTo),
    });
    metrics.declareTypes(KINDS);
    this.traffic = new TrafficService(deps.metrics, options.traffic);
    this.server = new DiscoveryServer({
      ...options.server,
      snapshots: this.snapshots,
      token: deps.apiTokens,
      ...(options.authenticator ? { authenticator: options.authenticator } : {}),
      registry: this.registry,
      metrics,
      traffic: this.traffic.intake,
      log,
      // A replica cut off from the store may hold an old snapshot: send proxies to another one.
      refuseStreams: () => (deps.cache.live ? undefined : 'this control-plane replica cannot reach its store; try another replica'),
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(options.services ? { services: options.services } : {}),
    });
    const replica = deps.replica;
    if (replica !== undefined) {
      this.view = new FleetView(replica.leases, replica.id, log);
      this.trafficView = new TrafficView(replica.leases, replica.id, this.traffic.window.windowMs, log);
      this.traffic.followRemote(this.trafficView);
      this.trafficPublisher = new TrafficPublisher(this.traffic, replica.leases, replica.id, replica.leaseTtlSeconds, log);
      this.publisher = new FleetStatusPublisher(this.registry, replica.leases, { replicaId: replica.id, ttlSeconds: replica.leaseTtlSeconds, revision: () => this.snapshots.current.revision, log, ...options.fleetStatus });
    }
    this.fleet = new FleetStatus(this.registry, replica?.id ?? 'local', this.view);
    this.routes = [...rolloutRoutes(this.fleet, () => deps.cache.revision), ...intendedConfigRoutes(this.registry, () => this.snapshots.current), ...trafficRoutes(this.traffic)];
  }

  /** The bound gRPC port (port 0 resolved), once started. */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('discovery is not started');
    return this.boundPort;
  }

  get address(): string {
    return formatListenAddress({ host: this.options.listen.host, port: this.port });
  }

  async start(): Promise<void> {
    this.seenRevisions.follow(this.deps.cache);
    this.snapshots.start();
    this.view?.start();
    this.publisher?.start();
    this.trafficView?.start();
    this.trafficPublisher?.start();
    this.boundPort = await this.server.listen(this.options.listen).catch((err: unknown) => {
      throw new ListenError('--discovery-listen', formatListenAddress(this.options.listen), err);
    });
    this.deps.log.info({ discovery: this.address }, 'discovery gRPC listening');
  }

  async stop(): Promise<void> {
    await this.server.close();
    await this.publisher?.stop();
    await this.trafficPublisher?.stop();
    await this.trafficView?.stop();
    await this.view?.stop();
    this.snapshots.close();
    this.seenRevisions.stop();
  }
}

/** A module factory; `created` receives the module (tests read its port and registry). */
export function discoveryModule(options: DiscoveryModuleOptions, created?: (m: DiscoveryModule) => void): ControlPlaneModuleFactory {
  return (deps) => {
    const m = new DiscoveryModule(deps, options);
    created?.(m);
    return m;
  };
}
