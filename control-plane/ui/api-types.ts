// The shapes of the admin API's answers the dashboard reads. Duplicated from the control plane's Node
// code on purpose: browser code imports nothing from the planes (docs/architecture.md).

export type Role = 'viewer' | 'editor' | 'admin';
export interface Session { readonly name: string; readonly role: Role }

export type SyncState = 'SYNCED' | 'STALE' | 'NACK';

export interface ProxyRecord {
  readonly nodeId: string;
  readonly service: string;
  readonly zone: string;
  readonly namespace: string;
  readonly version: string;
  readonly address: string;
  readonly adminAddress: string;
  readonly replica: string;
  readonly connectedSince: string;
  readonly ackedRevision: number;
  readonly lastAckAt?: string;
  readonly types: Readonly<Record<string, number>>;
  readonly rejected: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly revision: number; readonly error: string }>;
  readonly lastError?: { readonly revision: number; readonly error: string; readonly at: string };
  readonly state?: SyncState;
}

export interface Rollout {
  readonly revision: number;
  readonly proxies: number;
  readonly at: number;
  readonly behind: number;
  readonly rejecting: number;
  readonly errors: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly replica: string; readonly revision: number; readonly error: string }>;
  readonly lagging: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly replica: string; readonly ackedRevision: number }>;
  readonly truncated: boolean;
}

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
