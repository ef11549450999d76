// The mesh identity as a part of the control plane: the CA (self-made root in the store, or the
// operator's plug-in CA), bootstrap tokens, their admin routes, and IdentityService for the discovery
// port's gRPC server.
import { experimental, type ServerCredentials, type UntypedServiceImplementation, type ServiceDefinition } from '@grpc/grpc-js';
import { controlPlaneSpiffeId } from '../../../proto/src/identity/control-plane-identity.js';
import { ServingCertificate } from './serving-certificate.js';
import { ProbeCredentials } from './probe-credentials.js';
import type { Logger } from 'pino';
import { DEFAULT_TRUST_DOMAIN } from '../../../proto/src/identity/spiffe-id.js';
import { identityServiceDefinition } from '../../../proto/src/wire/identity-service-definition.js';
import type { ApiRoute } from '../api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ControlPlaneDeps, ControlPlaneModule } from '../module.js';
import { EmbeddedKeyValues } from '../store/embedded-key-values.js';
import type { KeyValueStore } from '../store/key-value-store.js';
import { BootstrapTokens } from './bootstrap-tokens.js';
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
  /** --discovery-tls: the discovery port serves TLS with a certificate from this CA (ServingCertificate). */
  readonly discoveryTls?: boolean;
}

/** A gRPC service the discovery server adds beside its own. */
export interface GrpcService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export class IdentityModule implements ControlPlaneModule {
  readonly trustDomain: string;
  readonly tokens: BootstrapTokens;
  readonly signer: MeshCa;
  readonly routes: readonly ApiRoute[];
  readonly grpcService: GrpcService;
  private plugin: Promise<SigningAuthority> | undefined;
  /** The discovery port's certificate, with --discovery-tls. */
  readonly servingCertificate: ServingCertificate | undefined;
  /** The control plane's own mesh certificate, for its health checks of mesh endpoints. */
  readonly probeCredentials: ProbeCredentials;
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
    this.stored = options.pluginCa === undefined ? new StoredAuthority(this.kv, options.sealer ?? deps.sealer, this.trustDomain, this.log) : undefined;
    this.signer = new MeshCa({ authority: () => this.authority(), defaultTtlSeconds: options.workloadCertTtlSeconds ?? DEFAULT_WORKLOAD_CERT_TTL_SECONDS });
    const rotation = (this.rotation = this.stored === undefined ? undefined : new RootRotation(this.kv, options.sealer ?? deps.sealer, this.trustDomain));
    this.routes = identityRoutes(this.tokens, () => this.authority(), rotation);
    this.servingCertificate = options.discoveryTls === true ? new ServingCertificate(this.signer, controlPlaneSpiffeId(this.trustDomain), this.log) : undefined;
    this.probeCredentials = new ProbeCredentials(this.signer, controlPlaneSpiffeId(this.trustDomain), this.log);
    this.grpcService = {
      definition: identityServiceDefinition,
      implementation: identityServiceHandlers({ authenticator: this.tokens, signer: this.signer, metrics: new IdentityMetrics(deps.metrics), log: this.log }),
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
      // With --discovery-tls the port cannot serve without a certificate: no reason to go on then.
      if (!(err instanceof ControlPlaneError && err.code === ErrorCode.StoreUnavailable) || this.servingCertificate !== undefined) throw err;
      this.log.warn({ err }, 'mesh CA: the store cannot be reached; reading the CA again at the first certificate request');
    }
    await this.servingCertificate?.start();
    this.probeCredentials.start();
  }

  async stop(): Promise<void> {
    this.servingCertificate?.stop();
    this.probeCredentials.stop();
  }

  /** The discovery server's credentials with --discovery-tls (each renewal reaches new connections); undefined: plaintext. */
  /** Seals the stored CA's keys again with the first encryption key (a plug-in CA's key is not stored). */
  async resealCaKeys(): Promise<number> {
    return (await this.rotation?.resealKeys()) ?? 0;
  }

  serverCredentials(): ServerCredentials | undefined {
    // grpc-js takes the identity provider first, then an optional CA provider for client certificates.
    return this.servingCertificate === undefined ? undefined : experimental.createCertificateProviderServerCredentials(this.servingCertificate, null, false);
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
