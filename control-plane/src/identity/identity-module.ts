// The mesh identity as a part of the control plane: the CA (self-made root in the store, or the
// operator's plug-in CA), bootstrap tokens, their admin routes, and IdentityService for the discovery
// port's gRPC server.
import { experimental, type ServerCredentials, type UntypedServiceImplementation, type ServiceDefinition } from '@grpc/grpc-js';
import { controlPlaneSpiffeId } from '../../../proto/src/identity/control-plane-identity.js';
import { ControlPlaneCertificate } from './control-plane-certificate.js';
import { DiscoveryCertificateProvider } from './discovery-certificate-provider.js';
import type { Logger } from 'pino';
import { DEFAULT_TRUST_DOMAIN } from '../../../proto/src/identity/spiffe-id.js';
import { identityServiceDefinition } from '../../../proto/src/wire/identity-service-definition.js';
import type { ApiRoute } from '../api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ControlPlaneDeps, ControlPlaneModule } from '../module.js';
import { EmbeddedKeyValues } from '../store/embedded-key-values.js';
import type { KeyValueStore } from '../store/key-value-store.js';
import { BootstrapTokens } from './bootstrap-tokens.js';
import { FirstAuthenticator } from './first-authenticator.js';
import { KubernetesTokenAuthenticator, type KubernetesTokenOptions } from './kubernetes-token-authenticator.js';
import type { WorkloadAuthenticator } from './workload-authenticator.js';
import { IdentityMetrics } from './identity-metrics.js';
import { identityRoutes } from './identity-routes.js';
import { identityServiceHandlers } from './identity-service.js';
import { DEFAULT_WORKLOAD_CERT_TTL_SECONDS, MeshCa } from './mesh-ca.js';
import { pluginAuthority, type PluginCaFiles } from './plugin-authority.js';
import type { SecretSealer } from './secret-sealer.js';
import type { SigningAuthority } from './signing-authority.js';
import { StoredAuthority } from './stored-authority.js';
import { RootRotation } from './root-rotation.js';

export interface IdentityOptions {
  /** --trust-domain (default sluice.local). */
  readonly trustDomain?: string;
  /** --workload-cert-ttl-seconds (default 24 h). */
  readonly workloadCertTtlSeconds?: number;
  /** How the CA's private key is kept in the store (default: as it is). */
  readonly sealer?: SecretSealer;
  /** --ca-cert, --ca-key, --ca-chain: sign with the operator's CA instead of a root kept in the store. */
  readonly pluginCa?: PluginCaFiles;
  /** --discovery-tls: the discovery port serves TLS with a certificate from this CA (DiscoveryCertificateProvider). */
  readonly discoveryTls?: boolean;
  /** --kubernetes-jwks-file and friends: projected service-account tokens prove ns/sa identities too. */
  readonly kubernetes?: KubernetesTokenOptions;
  /**
   * --webhook-listen's --webhook-dns-names: the control plane's certificate also names these, and is
   * obtained before start() resolves (the webhook's HTTPS port cannot serve without it).
   */
  readonly servingDnsNames?: readonly string[];
}

/** A gRPC service the discovery server adds beside its own. */
export interface GrpcService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export class IdentityModule implements ControlPlaneModule {
  readonly trustDomain: string;
  readonly tokens: BootstrapTokens;
  /** What proves a workload on the discovery port: Kubernetes service-account tokens (when configured), then bootstrap tokens. */
  readonly authenticator: WorkloadAuthenticator;
  readonly signer: MeshCa;
  readonly routes: readonly ApiRoute[];
  readonly grpcService: GrpcService;
  private plugin: Promise<SigningAuthority> | undefined;
  /** The control plane's own mesh certificate: the discovery port's (--discovery-tls) and the health checks' to mesh endpoints. */
  readonly certificate: ControlPlaneCertificate;
  /** The discovery port's TLS, with --discovery-tls. */
  private readonly servingProvider: DiscoveryCertificateProvider | undefined;
  /** The root kept in the store; undefined with a plug-in CA. */
  readonly stored: StoredAuthority | undefined;
  private readonly log: Logger;
  private readonly rotation: RootRotation | undefined;
  private readonly kv: KeyValueStore;

  constructor(deps: ControlPlaneDeps, private readonly options: IdentityOptions = {}) {
    this.trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.log = deps.log.child({ part: 'identity' });
    this.kv = deps.store.keyValues?.() ?? new EmbeddedKeyValues();
    this.tokens = new BootstrapTokens(this.kv, this.trustDomain);
    this.authenticator = options.kubernetes === undefined
      ? this.tokens
      : new FirstAuthenticator([new KubernetesTokenAuthenticator(options.kubernetes, this.trustDomain, this.log), this.tokens]);
    this.stored = options.pluginCa === undefined ? new StoredAuthority(this.kv, options.sealer ?? deps.sealer, this.trustDomain, this.log) : undefined;
    this.signer = new MeshCa({ authority: () => this.authority(), defaultTtlSeconds: options.workloadCertTtlSeconds ?? DEFAULT_WORKLOAD_CERT_TTL_SECONDS });
    const rotation = (this.rotation = this.stored === undefined ? undefined : new RootRotation(this.kv, options.sealer ?? deps.sealer, this.trustDomain));
    this.routes = identityRoutes(this.tokens, () => this.authority(), rotation);
    this.certificate = new ControlPlaneCertificate(this.signer, controlPlaneSpiffeId(this.trustDomain), this.log, options.servingDnsNames);
    this.servingProvider = options.discoveryTls === true ? new DiscoveryCertificateProvider(this.certificate) : undefined;
    this.grpcService = {
      definition: identityServiceDefinition,
      implementation: identityServiceHandlers({ authenticator: this.authenticator, signer: this.signer, metrics: new IdentityMetrics(deps.metrics), log: this.log }),
    };
  }

  /**
   * Reads (or on the mesh's first start, creates) the CA. A store that cannot be reached now is no
   * reason to stop: the CA is read again at the first certificate request. A CA that is wrong (a
   * plug-in CA whose files do not match, a damaged stored root) stops the control plane.
   */
  async start(): Promise<void> {
    try {
      await this.authority();
    } catch (err) {
      // With --discovery-tls or --webhook-listen a port cannot serve without a certificate: no reason to go on then.
      if (!(err instanceof ControlPlaneError && err.code === ErrorCode.StoreUnavailable) || this.servesTls) throw err;
      this.log.warn({ err }, 'mesh CA: the store cannot be reached; reading the CA again at the first certificate request');
    }
    // With --discovery-tls or --webhook-listen the port needs the certificate before it opens;
    // otherwise only health checks of mesh endpoints wait for it.
    if (this.servesTls) await this.certificate.start();
    else this.certificate.startInBackground();
  }

  /** Whether a port of this control plane serves TLS with its certificate (discovery or the webhook). */
  private get servesTls(): boolean {
    return this.servingProvider !== undefined || this.options.servingDnsNames !== undefined;
  }

  async stop(): Promise<void> {
    this.certificate.stop();
  }

  /** Seals the stored CA's keys again with the first encryption key (a plug-in CA's key is not stored). */
  async resealCaKeys(): Promise<number> {
    return (await this.rotation?.resealKeys()) ?? 0;
  }

  /** The discovery server's credentials with --discovery-tls (each renewal reaches new connections); undefined: plaintext. */
  serverCredentials(): ServerCredentials | undefined {
    // grpc-js takes the identity provider first, then an optional CA provider for client certificates.
    return this.servingProvider === undefined ? undefined : experimental.createCertificateProviderServerCredentials(this.servingProvider, null, false);
  }

  /** The CA to sign with now: the plug-in CA (read once), or the one in the store (StoredAuthority). */
  authority(): Promise<SigningAuthority> {
    if (this.stored !== undefined) return this.stored.current();
    if (this.plugin === undefined) {
      const loading = pluginAuthority(this.options.pluginCa!).then((a) => {
        this.log.info({ subject: a.signer.subject, notAfter: a.signer.notAfter.toISOString(), roots: a.roots.length }, 'mesh CA: signing with the plug-in CA (--ca-cert)');
        return a;
      });
      this.plugin = loading;
      loading.catch(() => {
        if (this.plugin === loading) this.plugin = undefined;
      });
    }
    return this.plugin;
  }
}
