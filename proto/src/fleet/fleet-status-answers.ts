// The fleet's status as the admin API answers it (GET /v1/proxies, GET /v1/rollout): written by the
// control plane (discovery/proxy-status.ts, rollout-status.ts) and read by the dashboard in the
// browser, so the shapes live here, in the shared API package, as types only.

export interface ProxyStatus {
  readonly nodeId: string;
  readonly service: string;
  readonly zone: string;
  readonly namespace: string;
  readonly version: string;
  readonly address: string;
  /** The proxy's admin server as it advertises it (--admin-advertise), HOST:PORT; '' when it did not. */
  readonly adminAddress: string;
  /** The control-plane replica the proxy is connected to. */
  readonly replica: string;
  readonly connectedSince: string;
  /** The latest revision the proxy ACKed completely (apart from the versions it rejected). */
  readonly ackedRevision: number;
  /** When the proxy last ACKed a response; absent before its first ACK. */
  readonly lastAckAt?: string;
  /** Per type, the revision of the last response of that type the proxy ACKed. */
  readonly types: Readonly<Record<string, number>>;
  /** Versions the proxy NACKed and runs without, oldest first. */
  readonly rejected: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly revision: number; readonly error: string }>;
  readonly lastError?: { readonly revision: number; readonly error: string; readonly at: string };
}

/** SYNCED: runs `revision` or later; STALE: behind it; NACK: runs without a version it rejected. */
export type SyncState = 'SYNCED' | 'STALE' | 'NACK';

export interface RolloutStatus {
  readonly revision: number;
  readonly proxies: number;
  readonly at: number;
  readonly behind: number;
  readonly rejecting: number;
  /** The rejecting proxies with their first blocking error, up to the limit. */
  readonly errors: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly replica: string; readonly revision: number; readonly error: string }>;
  /** The proxies behind, the furthest behind first, up to the limit. */
  readonly lagging: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly replica: string; readonly ackedRevision: number }>;
  /** True when `errors` or `lagging` stopped at the limit: the counts are still whole. */
  readonly truncated: boolean;
}
