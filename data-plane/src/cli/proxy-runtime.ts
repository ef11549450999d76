// One proxy process's runtime: a MeshProxy with the bootstrap's user filters loaded. Used directly
// with --workers 1, and by each worker process otherwise.
import type { FieldError } from '../../../proto/src/model/field-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { FilterRegistry, type TokenSourceFactory } from '../filters/filter-registry.js';
import { AccessLog, type AccessLogOptions } from '../logging/access-log.js';
import { MeshProxy, type ApplyResult } from '../mesh/mesh-proxy.js';
import type { Workload } from '../authorization/authorizer.js';
import type { UserFilterModule } from './load-proxy-config.js';
import type { WorkloadIdentity } from '../identity/workload-identity.js';
import type { Tracing } from '../tracing/tracing.js';

export interface ProxyRuntimeOptions {
  readonly accessLog?: AccessLogOptions;
  /** The proxy's --zone (workers read it from SLUICE_ZONE), preferred by every cluster's balancer. */
  readonly localZone?: string;
  /** Its --service and --namespace (SLUICE_SERVICE, SLUICE_NAMESPACE), which policy selectors match. */
  readonly workload?: Workload;
  /** It holds a workload certificate: mesh endpoints take mutual TLS only. */
  readonly meshTls?: boolean;
  readonly tracing?: Tracing;
  /** Where rate limits keep their token buckets; default: in this process (a worker's: in the primary). */
  readonly tokenSources?: TokenSourceFactory;
}

export class ProxyRuntime {
  readonly mesh: MeshProxy;
  private readonly registry: FilterRegistry;
  private readonly loaded = new Set<string>();
  /** The access log (--access-log), written from the mesh's `logging` phase. */
  readonly accessLog: AccessLog | undefined;
  /**
   * The workload certificate and key the primary obtained from the control plane (--bootstrap-token-file),
   * kept current by it; undefined without one. For the mesh's mTLS listeners and upstream connections.
   */
  get identity(): WorkloadIdentity | undefined {
    return this.mesh.meshTls.identity;
  }

  set identity(identity: WorkloadIdentity | undefined) {
    this.mesh.setWorkloadIdentity(identity);
  }

  /** Traces requests when an OTLP endpoint is configured (tracing/tracing.ts). */
  readonly tracing: Tracing | undefined;

  constructor(options: ProxyRuntimeOptions = {}) {
    const log = (this.accessLog = options.accessLog === undefined ? undefined : new AccessLog(options.accessLog));
    this.tracing = options.tracing;
    this.registry = new FilterRegistry(options.tokenSources);
    this.mesh = new MeshProxy({
      filters: this.registry,
      localZone: options.localZone ?? '',
      meshTls: options.meshTls ?? false,
      ...(options.workload === undefined ? {} : { workload: options.workload }),
      ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
      ...(log === undefined ? {} : { onRequest: (session, error, ctx) => log.write(session, error, { route: ctx?.route?.name, cluster: ctx?.cluster?.name, upstreamMs: ctx?.upstreamMs ?? -1, authz: ctx?.authz, traceId: ctx?.trace?.traceId }) }),
      ...(log === undefined ? {} : { onTcpConnection: (record) => log.writeTcp(record) }),
    });
  }

  /** Writes out the access log and sends the spans still queued (before the process exits). */
  async flushTelemetry(): Promise<void> {
    this.accessLog?.flush();
    await this.tracing?.shutdown(2000);
  }

  /** Loads the user filters not loaded yet, then applies `set`, which the caller validated (MeshProxy.applyValidated). */
  async apply(set: ResourceSet, userFilters: readonly UserFilterModule[], baseDir: string): Promise<ApplyResult> {
    const errors: FieldError[] = [];
    for (const f of userFilters) {
      const key = `${f.name}=${f.module}`;
      if (this.loaded.has(key)) continue;
      try {
        await this.registry.load(f.name, f.module, baseDir);
        this.loaded.add(key);
      } catch (err) {
        errors.push({ path: `bootstrap.filters[${f.name}].module`, message: `cannot load ${f.module}: ${(err as Error).message}` });
      }
    }
    if (errors.length > 0) return { ok: false, errors };
    return this.mesh.applyValidated(set);
  }
}
