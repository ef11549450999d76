// The shapes of the admin API's answers the dashboard reads. The fleet's status comes from the shared
// API package (types only, erased from the bundle); browser code imports nothing from the planes
// (docs/architecture.md).
import type { ProxyStatus, RolloutStatus, SyncState } from '../../proto/src/fleet/fleet-status-answers.js';

export type Role = 'viewer' | 'editor' | 'admin';
export interface Session { readonly name: string; readonly role: Role }

export type { SyncState };

/** A proxy as GET /v1/proxies lists it, with its state against the revision asked about. */
export interface ProxyRecord extends ProxyStatus {
  readonly state?: SyncState;
}

export type Rollout = RolloutStatus;

export interface TrafficFigures { readonly rps: number; readonly errorRate: number; readonly p50Ms: number; readonly p99Ms: number }

export interface Traffic {
  readonly windowSeconds: number;
  readonly proxiesReporting: number;
  readonly mesh: TrafficFigures;
  readonly routes: ReadonlyArray<TrafficFigures & { readonly route: string }>;
  readonly clusters: ReadonlyArray<TrafficFigures & { readonly cluster: string }>;
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly rps: number; readonly errorRate: number }>;
  readonly series: ReadonlyArray<{ readonly t: number; readonly rps: number; readonly errorRate: number; readonly p99Ms: number }>;
}

export interface Overview {
  readonly revision: number;
  readonly proxies: { readonly total: number; readonly synced: number; readonly stale: number; readonly nack: number };
  readonly rollout: Rollout;
  readonly endpoints: { readonly total: number; readonly unhealthy: number; readonly ejected: number };
  readonly traffic: TrafficFigures | null;
}

/** A reset carries every proxy in `columns` and `rows` (proxy-rows.ts); later events `upsert` and `remove`. */
export interface ProxiesEvent {
  readonly reset?: boolean;
  readonly columns?: readonly string[];
  readonly rows?: ReadonlyArray<readonly unknown[]>;
  readonly upsert?: readonly ProxyRecord[];
  readonly remove?: readonly string[];
}

export interface HistoryEntry {
  readonly revision: number;
  readonly time: string;
  readonly actor: string;
  readonly operation: string;
  readonly toRevision?: number;
  readonly changes: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly action: string }>;
}

export interface Resource { readonly kind: string; readonly name: string; readonly revision?: number; readonly [field: string]: unknown }
export interface ResourceList { readonly kind: string; readonly revision: number; readonly resources: readonly Resource[] }

export interface EndpointHealth { readonly cluster: string; readonly address: string; readonly port: number; readonly health: string; readonly since: string | null }
export interface HealthAnswer { readonly endpoints: readonly EndpointHealth[] }

export interface PlannedChange {
  readonly kind: string;
  readonly name: string;
  readonly action: string;
  readonly before?: unknown;
  readonly after?: unknown;
}
export interface DryRunAnswer { readonly revision: number; readonly changes: readonly PlannedChange[] }

export interface FieldError { readonly path: string; readonly message: string }
