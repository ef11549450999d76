// Assembles one control plane from its options: the store (etcd or embedded), the resource cache that
// watches it, the admin API, the modules that serve proxies (discovery), and the dashboard, and starts
// and stops them in dependency order.
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiServer, DEFAULT_MAX_BODY_BYTES, formatListenAddress, type ListenAddress } from './api/api-server.js';
import type { ApiRoute } from './api/api-route.js';
import { reencryptRoute } from './api/reencrypt-route.js';
import { ApiTokens, STATIC_ADMIN_NAME, type ApiTokenEntry } from './api/api-tokens.js';
import type { WorkloadAuthenticator } from './identity/workload-authenticator.js';
import { createLogger } from './logger.js';
import { ListenError } from '../../proto/src/model/listen-error.js';
import { DiscoveryModule, discoveryModule } from './discovery/discovery-module.js';
import type { TrafficServiceOptions } from './traffic/traffic-service.js';
import type { TrafficBody } from './ui/feed-sources.js';
import { grpcHealthService } from './discovery/grpc-health-service.js';
import { isReady } from './api/health-routes.js';
import { discoveryServiceDefinition } from '../../proto/src/wire/service-definition.js';
import { meshRateLimitService } from './rate-limit/rate-limit-service.js';
import { HealthModule, type HealthModuleOptions } from './health/health-module.js';
import { IdentityModule, type IdentityOptions } from './identity/identity-module.js';
import { InjectionWebhook } from './injection/injection-webhook.js';
import { DEFAULT_INJECTION_OPTIONS, type InjectionOptions } from './injection/injection-options.js';
import { EmbeddedStore } from './store/embedded-store.js';
import { EtcdStore } from './store/etcd-store.js';
import type { EtcdCredentials } from './store/etcd-client.js';
import { AesGcmSealer } from './identity/aes-gcm-sealer.js';
import type { SecretSealer } from './identity/secret-sealer.js';
import { ResourceCache } from './store/resource-cache.js';
import type { ControlPlaneDeps, ControlPlaneModule, ControlPlaneModuleFactory } from './module.js';
import type { ResourceStore } from './store/store.js';
import type { StoreLimits } from './store/write-checks.js';
import { UiModule, type UiOptions } from './ui/ui-module.js';

export const DEFAULT_API_LISTEN: ListenAddress = Object.freeze({ host: '127.0.0.1', port: 15080 });
export const DEFAULT_DISCOVERY_LISTEN: ListenAddress = Object.freeze({ host: '127.0.0.1', port: 15010 });

export interface ControlPlaneOptions {
  /** etcd client URLs; empty or absent runs on the embedded store (one process, nothing persisted). */
  readonly etcdEndpoints?: readonly string[];
  /** TLS client certificate and/or user for etcd (--etcd-ca, --etcd-cert, --etcd-key, --etcd-user). */
  readonly etcdCredentials?: EtcdCredentials;
  /**
   * Seals private keys before they are stored and opens them after they are read (--encryption-key-file).
   * Default: no encryption key, keys stored as they are, and a sealed value read back is refused.
   */
  readonly sealer?: SecretSealer;
  /** A store built by the caller (tests); wins over etcdEndpoints. The control plane closes it on stop. */
  readonly store?: ResourceStore;
  readonly apiListen?: ListenAddress;
  readonly discoveryListen?: ListenAddress;
  /**
   * The admin token (`--token-file`, known as `admin`); proxies may present it on the discovery stream
   * too (the single-machine path). At least one of `token` and `tokens` is needed.
   */
  readonly token?: string;
  /** Named admin API tokens with roles (`--tokens-file`), beside or instead of `token`. */
  readonly tokens?: readonly ApiTokenEntry[];
  /** Checks the workload credentials (bootstrap tokens) proxies present on the discovery stream. */
  readonly workloadAuthenticator?: WorkloadAuthenticator;
  readonly maxBodyBytes?: number;
  /** Change records kept (--history-limit, default 1000). */
  readonly historyLimit?: number;
  /**
   * The transaction limits of the store: etcd's --max-txn-ops and --max-request-bytes as the members
   * run with them (--store-max-txn-ops, --store-max-request-bytes), and the embedded store's own.
   * Default DEFAULT_STORE_LIMITS (as deploy/ runs etcd).
   */
  readonly storeLimits?: Partial<StoreLimits>;
  /** --api-tls-cert and --api-tls-key: the admin API serves HTTPS. */
  readonly apiTls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly log?: Logger;
  /** More admin API routes. */
  readonly extraRoutes?: readonly ApiRoute[];
  /** Parts that serve proxies from the cache; see ControlPlaneModule (module.ts). */
  readonly modules?: readonly ControlPlaneModuleFactory[];
  /** Health in etcd and self-registration: lease TTL (default 10 s) and this replica's id. */
  readonly health?: HealthModuleOptions;
  /** The mesh CA and bootstrap tokens: trust domain, workload certificate TTL, sealer, plug-in CA. */
  readonly identity?: IdentityOptions;
  /** The dashboard at /ui: its bundle directory, sessions, live feed, and its traffic source. */
  readonly ui?: UiOptions;
  /** GET /v1/traffic's window (default 5 s, as proxies send their summaries). */
  readonly traffic?: TrafficServiceOptions;
  /** The sidecar injection webhook (--webhook-listen); absent: not served. */
  readonly webhook?: WebhookOptions;
}

export interface WebhookOptions {
  readonly listen: ListenAddress;
  /** The DNS names its certificate names (--webhook-dns-names): the Service the API server calls. */
  readonly dnsNames: readonly string[];
  /** What the injected containers run (--inject-image, --inject-control-plane). */
  readonly injection?: InjectionOptions;
  /** Larger review bodies answer 413 (default DEFAULT_WEBHOOK_MAX_BODY_BYTES). */
  readonly maxBodyBytes?: number;
}

export class ControlPlane {
  readonly log: Logger;
  private store: ResourceStore | undefined;
  private cache: ResourceCache | undefined;
  private api: ApiServer | undefined;
  private modules: ControlPlaneModule[] = [];
  private apiAddress: ListenAddress | undefined;
  /** Every module started (discovery listening): /readyz says ready only then. */
  private modulesStarted = false;
  private healthModule: HealthModule | undefined;
  private discoveryModule: DiscoveryModule | undefined;
  private identityModule: IdentityModule | undefined;
  private uiModule: UiModule | undefined;
  private webhookModule: InjectionWebhook | undefined;

  readonly sealer: SecretSealer;

  constructor(readonly options: ControlPlaneOptions) {
    this.log = options.log ?? createLogger();
    this.sealer = options.sealer ?? new AesGcmSealer([]);
  }

  /** Which store backs this control plane, for the start-up message. */
  get storeKind(): 'etcd' | 'embedded' | 'custom' {
    if (this.options.store !== undefined) return 'custom';
    return (this.options.etcdEndpoints?.length ?? 0) > 0 ? 'etcd' : 'embedded';
  }

  /**
   * Opens the store, serves the admin API, and resolves once the cache has read the store (reads
   * answer 503 until then; with etcd down at start-up that waits until it is back).
   */
  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startParts(): Promise<void> {
    const store = (this.store = await this.openStore());
    const cache = (this.cache = new ResourceCache(store, this.log.child({ part: 'cache' })));
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const apiTokens = new ApiTokens([
      ...(this.options.token === undefined ? [] : [{ token: this.options.token, name: STATIC_ADMIN_NAME, role: 'admin' as const }]),
      ...(this.options.tokens ?? []),
    ]);
    if (apiTokens.size === 0) throw new Error('the admin API needs a token: pass `token` or `tokens`');
    const deps: ControlPlaneDeps = { store, cache, log: this.log, metrics, apiTokens, sealer: this.sealer };
    // Health first: discovery reports to it and lays its view over the Endpoints it sends; it starts
    // (reads etcd's health) before discovery and stops after it (once every stream's votes are gone).
    // Identity before discovery: its IdentityService is served on the discovery port, and the CA is
    // read (or created) before proxies can ask for certificates. Made before health, whose checks of
    // mesh endpoints use its certificate (they start probing those once it is issued).
    const webhookOptions = this.options.webhook;
    const identity = (this.identityModule = new IdentityModule(deps, { ...this.options.identity, ...(webhookOptions === undefined ? {} : { servingDnsNames: webhookOptions.dnsNames }) }));
    // After identity, which obtains the certificate the webhook port serves before it starts.
    const webhook = webhookOptions === undefined ? [] : [(this.webhookModule = new InjectionWebhook({
      listen: webhookOptions.listen,
      injection: webhookOptions.injection ?? DEFAULT_INJECTION_OPTIONS,
      certificate: identity.certificate,
      log: this.log.child({ part: 'injection' }),
      ...(webhookOptions.maxBodyBytes === undefined ? {} : { maxBodyBytes: webhookOptions.maxBodyBytes }),
    }))];
    const health = (this.healthModule = new HealthModule(deps, { ...this.options.health, meshTls: identity.certificate.meshTls }));
    const credentials = identity.serverCredentials();
    const tls = credentials === undefined ? {} : { server: { credentials } };
    // Discovery serves proxies on discoveryListen (the CLI's --discovery-listen): workload credentials
    // (bootstrap tokens, unless the embedder brings its own authenticator), or an admin token on the
    // single-machine path.
    const authenticator = this.options.workloadAuthenticator ?? identity.authenticator;
    // grpc.health.v1 on the discovery port answers as /readyz does.
    // Buckets of `scope: mesh` rate limits, this replica's share of them by the proxies connected here.
    const rateLimit = meshRateLimitService(apiTokens, authenticator, {
      connectedHere: () => this.discoveryModule?.registry.size ?? 0,
      fleetSize: () => this.discoveryModule?.fleet.proxies().length ?? 0,
    }, this.log.child({ part: 'rate-limit' }));
    const grpcHealth = grpcHealthService(() => isReady(cache, () => this.modulesStarted), [discoveryServiceDefinition, identity.grpcService.definition, rateLimit.definition]);
    const discovery = this.options.discoveryListen === undefined ? [] : [discoveryModule({ listen: this.options.discoveryListen, hooks: health.hooks, overlay: health.view, authenticator, services: [identity.grpcService, grpcHealth, rateLimit], ...tls, ...(this.options.traffic === undefined ? {} : { traffic: this.options.traffic }) }, (m) => (this.discoveryModule = m))];
    const replicaDeps: ControlPlaneDeps = { ...deps, replica: { id: health.replicaId, leases: health.leases, leaseTtlSeconds: health.leaseTtlSeconds } };
    this.modules = [health, identity, ...webhook, ...[...discovery, ...(this.options.modules ?? [])].map((create) => create(replicaDeps))];
    // The dashboard reads the fleet and snapshot of discovery (ours, or one an embedder passed in
    // `modules`) when it computes, so it needs no module order.
    const fleet = this.discoveryModule ?? this.modules.find((m): m is DiscoveryModule => m instanceof DiscoveryModule);
    // The feed's traffic is GET /v1/traffic's body; a window no proxy reported in is no data (null).
    const traffic = (): TrafficBody | null => {
      const report = fleet?.traffic.report();
      return report === undefined || report.proxiesReporting === 0 ? null : { ...report };
    };
    const ui = (this.uiModule = new UiModule(replicaDeps, {
      proxies: () => fleet?.fleet.proxies(),
      snapshot: () => fleet?.snapshots.current,
    }, this.options.apiTls !== undefined, { traffic, ...this.options.ui }));
    this.modules.push(ui);
    this.api = new ApiServer({
      store,
      cache,
      token: apiTokens,
      log: this.log.child({ part: 'api' }),
      maxBodyBytes: this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      history: { sealer: this.sealer, ...(this.options.historyLimit === undefined ? {} : { limit: this.options.historyLimit }) },
      metrics,
      extraRoutes: [
        reencryptRoute({ store, cache, sealingKey: this.sealer instanceof AesGcmSealer ? this.sealer.primaryKeyName : undefined, resealCaKeys: () => identity.resealCaKeys() }),
        ...(this.options.extraRoutes ?? []),
        ...this.modules.flatMap((m) => m.routes ?? []),
      ],
      serving: () => this.modulesStarted,
      tls: this.options.apiTls,
      sessions: ui.auth,
    });
    const apiListen = this.options.apiListen ?? DEFAULT_API_LISTEN;
    this.apiAddress = await this.api.listen(apiListen).catch((err: unknown) => {
      throw new ListenError('--api-listen', formatListenAddress(apiListen), err);
    });
    this.log.info({ api: this.apiUrl, store: this.storeKind }, 'admin API listening');
    await cache.start();
    this.log.info({ revision: cache.revision }, 'resource cache synced with the store');
    // Discovery: the gRPC server (--discovery-listen) is a module; it starts here, on a synced cache.
    for (const m of this.modules) await m.start();
    this.modulesStarted = true;
    await health.startLeaderChecks();
  }

  /** The admin API's bound address (port 0 resolved), once started. */
  get apiListenAddress(): ListenAddress {
    if (this.apiAddress === undefined) throw new Error('the control plane is not started');
    return this.apiAddress;
  }

  /** `http://127.0.0.1:15080`, or https:// with --api-tls-cert. */
  get apiUrl(): string {
    return `${this.options.apiTls === undefined ? 'http' : 'https'}://${formatListenAddress(this.apiListenAddress)}`;
  }

  /** Health in etcd and registrations, once started. */
  get health(): HealthModule {
    if (this.healthModule === undefined) throw new Error('the control plane is not started');
    return this.healthModule;
  }

  /** The mesh CA and bootstrap tokens, once started. */
  get identity(): IdentityModule {
    if (this.identityModule === undefined) throw new Error('the control plane is not started');
    return this.identityModule;
  }

  /** The dashboard (sessions, live feed), once started. */
  get ui(): UiModule {
    if (this.uiModule === undefined) throw new Error('the control plane is not started');
    return this.uiModule;
  }

  /** The injection webhook's bound address (--webhook-listen, port 0 resolved), once started; undefined without it. */
  get webhookListenAddress(): ListenAddress | undefined {
    return this.webhookModule?.address;
  }

  /** The discovery module serving --discovery-listen, once started (undefined without it). */
  get discovery(): DiscoveryModule | undefined {
    return this.discoveryModule;
  }

  get resourceCache(): ResourceCache {
    if (this.cache === undefined) throw new Error('the control plane is not started');
    return this.cache;
  }

  async stop(): Promise<void> {
    this.modulesStarted = false;
    await this.api?.close();
    for (const m of [...this.modules].reverse()) await m.stop();
    await this.cache?.close();
    await this.store?.close();
    this.api = undefined;
    this.cache = undefined;
    this.store = undefined;
  }

  private async openStore(): Promise<ResourceStore> {
    if (this.options.store !== undefined) return this.options.store;
    const endpoints = this.options.etcdEndpoints ?? [];
    const limits = this.options.storeLimits ?? {};
    if (endpoints.length === 0) return new EmbeddedStore({ sealer: this.sealer, ...limits });
    return new EtcdStore({ endpoints: [...endpoints], log: this.log.child({ part: 'etcd' }), sealer: this.sealer, credentials: this.options.etcdCredentials, limits });
  }
}
