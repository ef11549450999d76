// Messages between the primary (which holds the configuration) and the worker processes (which
// serve traffic), over Node cluster's IPC channel with the 'advanced' serialization (structured clone:
// decoded resources, with their 64-bit integers and bytes, travel as they are, not as JSON).
import type { FieldError } from '../../../proto/src/model/field-error.js';
import type { ClusterReport } from '../metrics/cluster-report.js';
import type { MetricsJson } from '../metrics/metrics-text.js';
import type { SeriesTraffic } from '../metrics/traffic-deltas.js';
import type { EjectionReport, EjectionVerdict } from '../upstream/health/ejection.js';
import type { WorkloadIdentity } from '../identity/workload-identity.js';
import type { UserFilterModule } from './load-proxy-config.js';
import type { WorkerDelta } from './worker-delta.js';
import type { Diagnostic, DiagnosticResult } from '../diagnostics/diagnostic.js';
import type { TokenLeaseRequest } from '../filters/leased-tokens.js';
import type { Grant } from '../filters/token-buckets.js';

export type ToWorker =
  /** A configuration update, validated by the primary: what changed since the worker's previous 'apply', or the whole set (`full`). Answered 'applied'. */
  | ({ readonly sluice: 'apply'; readonly id: number; readonly userFilters: readonly UserFilterModule[]; readonly baseDir: string } & WorkerDelta)
  | { readonly sluice: 'metrics'; readonly id: number }
  | { readonly sluice: 'clusters'; readonly id: number }
  /** What the worker served since the previous 'traffic' (traffic-deltas.ts); answered 'traffic'. */
  | { readonly sluice: 'traffic'; readonly id: number }
  /** Active health check verdicts from the primary's checker (MeshProxy.setActiveHealth); not answered. */
  | { readonly sluice: 'health'; readonly id: number; readonly overrides: readonly WorkerHealthOverride[] }
  /** The proxy's outlier ejections (SharedEjections in the primary), for every worker (MeshProxy.applyEjections); not answered. */
  | { readonly sluice: 'ejections'; readonly id: number; readonly verdicts: readonly EjectionVerdict[] }
  /** The proxy's workload certificate and key (the primary renews them); not answered. */
  | { readonly sluice: 'identity'; readonly id: 0; readonly identity: WorkloadIdentity | undefined }
  /** The proxy's TLS session ticket keys (48 bytes; the primary rotates them, ticket-keys.ts); not answered. A secret: never logged. */
  | { readonly sluice: 'ticket-keys'; readonly id: 0; readonly keys: Uint8Array }
  /** Which workload certificate the worker holds (GET /certs); answered 'certs'. */
  | { readonly sluice: 'certs'; readonly id: number }
  /** GET /debug/profile or /debug/heap for this worker; answered 'diagnosed' with a file the primary streams, then removes. */
  | { readonly sluice: 'diagnose'; readonly id: number; readonly diagnostic: Diagnostic }
  /** The primary's answer to a worker's 'tokens': what it lends of a rate limit's bucket. */
  | { readonly sluice: 'tokens'; readonly id: number; readonly grant: Grant }
  /** Stop accepting and drain for up to `timeoutMs` (shutdown, or retirement in a reload); answered 'draining' once the listeners stopped accepting, then the worker sends 'retired' and exits 0. */
  | { readonly sluice: 'drain'; readonly id: number; readonly timeoutMs: number };

export type FromWorker =
  | { readonly sluice: 'hello'; readonly id: 0 }
  | { readonly sluice: 'applied'; readonly id: number; readonly ok: boolean; readonly errors: FieldError[] }
  /** The worker's registry as JSON: the primary sums the workers' series (metrics-text.ts). */
  | { readonly sluice: 'metrics'; readonly id: number; readonly metrics: MetricsJson }
  | { readonly sluice: 'clusters'; readonly id: number; readonly clusters: ClusterReport[] }
  | { readonly sluice: 'traffic'; readonly id: number; readonly traffic: SeriesTraffic[] }
  | { readonly sluice: 'draining'; readonly id: number }
  /** The serial number of the workload certificate the worker holds, if any. */
  | { readonly sluice: 'certs'; readonly id: number; readonly serial: string | undefined }
  /** The diagnostic's file (in a temporary folder of its own), or why there is none. */
  | { readonly sluice: 'diagnosed'; readonly id: number; readonly result: DiagnosticResult }
  /** The worker's outlier detection ejected an endpoint: the primary shares it with every worker. */
  | { readonly sluice: 'ejection'; readonly id: 0; readonly report: EjectionReport }
  /** Tokens of a rate limit's bucket, which the primary holds for every worker (leased-tokens.ts); answered 'tokens' with the same id. */
  | { readonly sluice: 'tokens'; readonly id: number; readonly request: TokenLeaseRequest }
  /** Sent last, before a drained worker exits: its final counters, so /metrics survives a reload, and its traffic not yet summarized. */
  | { readonly sluice: 'retired'; readonly id: 0; readonly metrics: MetricsJson; readonly traffic?: SeriesTraffic[] };

/** One endpoint's active-check verdict; `health` is the Health enum value (UNKNOWN: no longer checked). */
export interface WorkerHealthOverride {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly health: number;
  readonly reason: string;
}

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && typeof (m as { sluice?: unknown }).sluice === 'string';
}
