// The proxies connected to this control-plane replica and what each runs: the answer to "has my
// change reached every proxy?" (GET /v1/proxies, GET /v1/rollout).
import type { Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { StreamState } from './stream-state.js';

export interface ProxyStatus {
  readonly nodeId: string;
  readonly service: string;
  readonly zone: string;
  readonly namespace: string;
  readonly version: string;
  readonly address: string;
  /** The proxy's admin server as it advertises it (--admin-advertise), HOST:PORT; '' when it did not. */
  readonly adminAddress: string;
  readonly connectedSince: string;
  /** The latest revision the proxy ACKed completely (apart from the versions it rejected). */
  readonly ackedRevision: number;
  /** Versions the proxy NACKed and runs without, oldest first. */
  readonly rejected: ReadonlyArray<{ readonly kind: string; readonly name: string; readonly revision: number; readonly error: string }>;
  readonly lastError?: { readonly revision: number; readonly error: string; readonly at: string };
}

export interface RolloutStatus {
  readonly revision: number;
  readonly proxies: number;
  /** ACKed R or later, and rejected nothing from R or before. */
  readonly at: number;
  /** Still on an older revision: the update is on its way or the proxy is slow. */
  readonly behind: number;
  /** NACKed something of revision R or before, and runs without it. */
  readonly rejecting: number;
  readonly errors: ReadonlyArray<{ readonly nodeId: string; readonly address: string; readonly revision: number; readonly error: string }>;
}

export class ProxyRegistry {
  private readonly streams = new Map<string, StreamState>();

  add(stream: StreamState): void {
    this.streams.set(stream.id, stream);
  }

  remove(stream: StreamState): void {
    this.streams.delete(stream.id);
  }

  /** The Node a connected proxy named itself with (its latest stream's), or undefined. */
  nodeOf(nodeId: string): Node | undefined {
    let found: StreamState | undefined;
    for (const s of this.streams.values()) if (s.node.id === nodeId && (found === undefined || s.connectedAt >= found.connectedAt)) found = s;
    return found?.node;
  }

  get size(): number {
    return this.streams.size;
  }

  proxies(): ProxyStatus[] {
    return [...this.streams.values()].map(statusOf).sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  rollout(revision: number): RolloutStatus {
    let at = 0;
    let behind = 0;
    let rejecting = 0;
    const errors: Array<RolloutStatus['errors'][number]> = [];
    for (const s of this.streams.values()) {
      const blocking = s.rejections().filter((r) => r.revision <= revision);
      if (blocking.length > 0) {
        rejecting++;
        const first = blocking.reduce((a, b) => (b.revision < a.revision ? b : a));
        errors.push({ nodeId: s.node.id, address: s.peer, revision: first.revision, error: first.message });
      } else if (s.syncedRevision >= revision) at++;
      else behind++;
    }
    return { revision, proxies: this.streams.size, at, behind, rejecting, errors };
  }
}

function statusOf(s: StreamState): ProxyStatus {
  const rejected = s
    .rejections()
    .sort((a, b) => a.revision - b.revision)
    .map((r) => ({ kind: r.kind, name: r.name, revision: r.revision, error: r.message }));
  return {
    nodeId: s.node.id,
    service: s.node.service,
    zone: s.node.zone,
    namespace: s.node.namespace,
    version: s.node.version,
    address: s.peer,
    adminAddress: s.node.adminAddress,
    connectedSince: s.connectedAt.toISOString(),
    ackedRevision: s.syncedRevision,
    rejected,
    ...(s.lastError === undefined ? {} : { lastError: { revision: s.lastError.revision, error: s.lastError.message, at: s.lastError.at.toISOString() } }),
  };
}
