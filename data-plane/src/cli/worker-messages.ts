// Messages between the primary (which holds the configuration) and the worker processes (which
// serve traffic), over Node cluster's IPC channel.
import type { JsonObject } from '@bufbuild/protobuf';
import type { FieldError } from '../../../control-plane/src/model/field-error.js';
import type { ClusterReport } from '../metrics/cluster-report.js';
import type { MetricsJson } from '../metrics/metrics-text.js';
import type { UserFilterModule } from './load-proxy-config.js';

export type ToWorker =
  | { readonly sluice: 'apply'; readonly id: number; readonly resources: JsonObject[]; readonly userFilters: readonly UserFilterModule[]; readonly baseDir: string }
  | { readonly sluice: 'metrics'; readonly id: number }
  | { readonly sluice: 'clusters'; readonly id: number };

export type FromWorker =
  | { readonly sluice: 'hello'; readonly id: 0 }
  | { readonly sluice: 'applied'; readonly id: number; readonly ok: boolean; readonly errors: FieldError[] }
  /** The worker's registry as JSON: the primary sums the workers' series (metrics-text.ts). */
  | { readonly sluice: 'metrics'; readonly id: number; readonly metrics: MetricsJson }
  | { readonly sluice: 'clusters'; readonly id: number; readonly clusters: ClusterReport[] };

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && typeof (m as { sluice?: unknown }).sluice === 'string';
}
