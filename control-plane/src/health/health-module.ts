// Health in etcd as a part of the control plane: this replica's aggregate of its proxies'
// reports (writer under its lease), the registrations of its sidecars (a lease per stream), the view
// of everything in etcd that the snapshot builder lays over Endpoints, and GET /v1/health.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ApiRoute } from '../api/api-route.js';
import type { MeshTls } from '../../../data-plane/src/index.js';
import type { ControlPlaneDeps, ControlPlaneModule } from '../module.js';
import type { DiscoveryHooks } from '../discovery/discovery-hooks.js';
import { EmbeddedLeaseStore } from '../store/embedded-lease-store.js';
import type { LeaseStore } from '../store/lease-store.js';
import { healthRoutes } from './health-api.js';
import { HealthAggregator } from './health-aggregator.js';
import { HealthMetrics } from './health-metrics.js';
import { HealthView } from './health-view.js';
import { HealthWriter } from './health-writer.js';
import { LeaderChecks } from './leader-checks.js';
import { Registrar } from './registrar.js';

export const DEFAULT_LEASE_TTL_SECONDS = 10;

export interface HealthModuleOptions {
  /** TTL of this replica's health lease and of each registration's lease (`--lease-ttl-seconds`). */
  readonly leaseTtlSeconds?: number;
  /** This replica's name in etcd; default `<hostname>-<pid>-<random>`. */
  readonly replicaId?: string;
  /** TTL of the lease of the elected leader that runs the control plane's own checks (`--leader-lease-ttl-seconds`, default 5). */
  readonly leaderLeaseTtlSeconds?: number;
  /** The control plane's mesh certificate: mesh endpoints (those with an `identity`) are probed over mutual TLS. */
  readonly meshTls?: MeshTls;
}

export class HealthModule implements ControlPlaneModule {
  readonly leases: LeaseStore;
  readonly view: HealthView;
  readonly writer: HealthWriter;
  readonly aggregator: HealthAggregator;
  readonly registrar: Registrar;
  readonly hooks: DiscoveryHooks;
  readonly routes: readonly ApiRoute[];
  readonly replicaId: string;
  readonly leaseTtlSeconds: number;
  /** The elected leader's own checks (leader-checks.ts); undefined on a store that is neither etcd nor embedded. */
  readonly leaderChecks: LeaderChecks | undefined;

  constructor(deps: ControlPlaneDeps, options: HealthModuleOptions = {}) {
    const log = deps.log.child({ part: 'health' });
    const ttlSeconds = (this.leaseTtlSeconds = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS);
    this.replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.leases = deps.store.leases?.() ?? new EmbeddedLeaseStore();
    const metrics = new HealthMetrics(deps.metrics, () => this.registrar.size);
    this.view = new HealthView(this.leases, log);
    this.writer = new HealthWriter(this.leases, { replicaId: this.replicaId, ttlSeconds, metrics, log });
    this.aggregator = new HealthAggregator(this.writer, { metrics, log });
    this.registrar = new Registrar(this.leases, { replicaId: this.replicaId, ttlSeconds, metrics, log });
    // One key per stream (the server's stream id): streams of one node multiplexed on one connection
    // share its peer address, and one closing must not end the other's registration or votes.
    const stream = (id: string, streamId: string): string => `${id}|${streamId}`;
    this.hooks = {
      onStreamOpen: (node, _peer, streamId, identity) => this.registrar.open(stream(node.id, streamId), node, identity),
      onStreamClose: (node, _peer, streamId) => {
        this.registrar.close(stream(node.id, streamId));
        this.aggregator.dropReporter(stream(node.id, streamId));
      },
      onHealthReports: (node, reports, _peer, streamId) => {
        const key = stream(node.id, streamId);
        // A sidecar's report on its own endpoint (announceDraining) is its registration, not a vote.
        const votes = reports.filter((r) => !this.registrar.ownReport(key, r));
        if (votes.length > 0) this.aggregator.report(key, votes);
      },
    };
    this.routes = healthRoutes(this.view);
    this.leaderChecks = LeaderChecks.create(deps, this.view, this.writer, this.replicaId, { leaseTtlSeconds: options.leaderLeaseTtlSeconds, ...(options.meshTls ? { meshTls: options.meshTls } : {}) });
  }

  async start(): Promise<void> {
    await this.view.start();
  }

  /**
   * The control plane's own checks: campaigns once every module serves (so discovery is listening
   * before an election round can delay it) and resolves after the first round, so a started control
   * plane has written its claim already. After the view: the checker's targets come from it.
   */
  async startLeaderChecks(): Promise<void> {
    await this.leaderChecks?.start();
  }

  /**
   * After discovery stopped (its streams' votes are gone): the health lease is revoked, since no
   * proxy of this replica vouches for its entries any more; registrations are left to expire, since
   * their proxies are reconnecting to another replica, which writes them again.
   */
  async stop(): Promise<void> {
    await this.leaderChecks?.stop();
    this.aggregator.close();
    this.registrar.closeAll();
    await this.writer.close(true);
    await this.view.close();
  }
}
