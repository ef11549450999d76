// The control plane's own health checks as one part of the health module: the election on
// the store this control plane runs on (etcd: a lease and a fenced key; embedded: always leader), and
// the checker that probes while it leads and writes through the health writer with the leader's fence.
import type { MeshTls } from '../../../data-plane/src/index.js';
import type { ControlPlaneDeps } from '../module.js';
import { checkerTargets, CHECKER_SOURCE } from './checker-targets.js';
import { ControlPlaneChecker } from './control-plane-checker.js';
import type { HealthView } from './health-view.js';
import type { HealthWriter } from './health-writer.js';
import { DEFAULT_LEADER_LEASE_TTL_SECONDS, type LeaderElection } from '../store/leader-election.js';
import { instrumentLeaderElection } from './leader-election-metrics.js';

export interface LeaderChecksOptions {
  /** The leader's lease TTL (`--leader-lease-ttl-seconds`, default 5). */
  readonly leaseTtlSeconds?: number;
  /** The control plane's mesh certificate for probes of mesh endpoints. */
  readonly meshTls?: MeshTls;
}

export class LeaderChecks {
  readonly election: LeaderElection;
  readonly checker: ControlPlaneChecker;

  /** Undefined when the store offers no election (ResourceStore.election): nobody checks. */
  static create(deps: ControlPlaneDeps, view: HealthView, writer: HealthWriter, replicaId: string, options: LeaderChecksOptions = {}): LeaderChecks | undefined {
    const log = deps.log.child({ part: 'leader-checks' });
    const election = deps.store.election?.({ id: replicaId, leaseTtlSeconds: options.leaseTtlSeconds ?? DEFAULT_LEADER_LEASE_TTL_SECONDS, log });
    if (election === undefined) return undefined;
    const checker = new ControlPlaneChecker({
      targets: () => checkerTargets({
        clusters: () => deps.cache.list('Cluster').flatMap((s) => (s.resource.kind === 'Cluster' ? [s.resource.spec] : [])),
        endpoints: (name) => {
          const r = deps.cache.get('Endpoints', name)?.resource;
          return r?.kind === 'Endpoints' ? r.spec : undefined;
        },
        registered: (name) => view.registered(name),
        meshTls: options.meshTls,
        entries: () => view.allEntries(),
        certificate: (name) => {
          const r = deps.cache.get('Certificate', name)?.resource;
          return r?.kind === 'Certificate' ? r.spec : undefined;
        },
      }),
      write: (t, fence) => writer.put({ cluster: t.cluster, address: t.address, port: t.port, health: t.health, source: CHECKER_SOURCE }, fence),
      election,
      metrics: deps.metrics,
      log,
    });
    instrumentLeaderElection(election, deps.metrics);
    return new LeaderChecks(election, checker);
  }

  private constructor(election: LeaderElection, checker: ControlPlaneChecker) {
    this.election = election;
    this.checker = checker;
  }

  async start(): Promise<void> {
    this.checker.start();
    await this.election.start();
  }

  /** Checks stop first, then the election revokes its lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.checker.stop();
    await this.election.stop();
  }
}
