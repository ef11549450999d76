// The health checks the control plane runs itself, on the elected leader only: it probes the
// endpoints `targets()` names, with each cluster's interval, jitter, thresholds and initial health,
// and writes transitions only, each fenced by the leader's Fence. A write the fence refuses means this
// replica was deposed: it stops at once and tells the election, which campaigns again.
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { HealthCheck } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { countProbe, healthCheckSettingsOf, nextProbeDelayMs, probeEndpoint, type HealthCheckSettings, type ProbeResult } from '../../../data-plane/src/index.js';
import { endpointId, healthName } from './health-entry.js';
import type { Fence } from '../store/fence.js';
import type { LeaderElection } from '../store/leader-election.js';

/** One endpoint the control plane must check. */
export interface CheckTarget {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly check: HealthCheck;
  /** The checker's verdict already in etcd (a previous leader's), the starting state; else the check's initial health. */
  readonly known?: Health;
  readonly tls?: ConnectionOptions;
  /** H2C and H2 clusters: the HTTP check is an HTTP/2 request. */
  readonly http2?: boolean;
}

export interface HealthTransition {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly health: Health;
  /** The probe result that decided it: `http 503`, `connect ECONNREFUSED`, … */
  readonly reason: string;
}

export interface ControlPlaneCheckerOptions {
  /** The endpoints to check now; read when leadership starts and every `refreshMs`. */
  readonly targets: () => readonly CheckTarget[];
  /**
   * Stores one transition, fenced: true once committed, false when the fence was refused (this replica
   * no longer leads). Throws when the store is unreachable; the write is tried again after the next probe.
   */
  readonly write: (transition: HealthTransition, fence: Fence) => Promise<boolean>;
  readonly election: Pick<LeaderElection, 'fence' | 'onChange' | 'deposed'>;
  /** Default probeEndpoint (the one the proxies use). */
  readonly probe?: (address: string, port: number, check: HealthCheck, tls?: ConnectionOptions, http2?: boolean) => Promise<ProbeResult>;
  /** How often targets() is read again while leading (default 1000). */
  readonly refreshMs?: number;
  readonly metrics?: Registry;
  readonly log?: Logger;
}

interface EndpointCheck {
  target: CheckTarget;
  readonly settings: HealthCheckSettings;
  /** The check's definition, to notice a changed cluster. */
  readonly definition: string;
  /** The health decided by the thresholds. */
  health: Health;
  /** The health stored in etcd as far as this checker knows (undefined: none). */
  written: Health | undefined;
  passes: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export class ControlPlaneChecker {
  private readonly checks = new Map<string, EndpointCheck>();
  private readonly probe: NonNullable<ControlPlaneCheckerOptions['probe']>;
  private readonly probes: Counter<'result'> | undefined;
  private readonly refused: Counter | undefined;
  private fence: Fence | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ControlPlaneCheckerOptions) {
    this.probe = options.probe ?? probeEndpoint;
    if (options.metrics !== undefined) {
      this.probes = new Counter({
        name: 'sluice_health_checker_checks_total',
        help: 'Health probes run by this control-plane replica as the elected leader, by result.',
        labelNames: ['result'],
        registers: [options.metrics],
      });
      this.refused = new Counter({
        name: 'sluice_health_checker_fenced_writes_refused_total',
        help: 'Health transitions the leader wrote that etcd refused because its fence no longer held (it had been deposed).',
        registers: [options.metrics],
      });
    }
  }

  /** Endpoints being checked now (0 unless this replica leads). */
  get checking(): number {
    return this.checks.size;
  }

  /** Follows the election: checks while it leads, stops the moment it does not. */
  start(): void {
    this.unsubscribe ??= this.options.election.onChange((fence) => (fence === undefined ? this.halt() : this.begin(fence)));
    const fence = this.options.election.fence;
    if (fence !== undefined) this.begin(fence);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.halt();
  }

  private begin(fence: Fence): void {
    if (this.fence !== undefined && this.fence.createRevision === fence.createRevision) return;
    this.halt();
    this.fence = fence;
    this.options.log?.info({ createRevision: fence.createRevision }, 'leading: the control plane checks the endpoints no proxy checks');
    this.refresh();
    this.refreshTimer = setInterval(() => this.refresh(), this.options.refreshMs ?? 1000);
  }

  private halt(): void {
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    for (const c of this.checks.values()) this.drop(c);
    this.checks.clear();
    if (this.fence !== undefined) this.options.log?.info('no longer leading: control-plane health checks stopped');
    this.fence = undefined;
  }

  /** Starts checks for new targets, ends those no longer named, restarts those whose check changed. */
  private refresh(): void {
    let targets: readonly CheckTarget[];
    try {
      targets = this.options.targets();
    } catch (err) {
      this.options.log?.error({ err }, 'could not list the endpoints to check');
      return;
    }
    const seen = new Set<string>();
    for (const target of targets) {
      const key = `${target.cluster}/${endpointId(target.address, target.port)}`;
      seen.add(key);
      const definition = JSON.stringify(target.check, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + String(target.tls !== undefined) + String(target.http2 === true);
      const existing = this.checks.get(key);
      if (existing !== undefined && existing.definition === definition) {
        existing.target = target;
        continue;
      }
      if (existing !== undefined) this.drop(existing);
      const settings = healthCheckSettingsOf(target.check);
      // It starts from a previous leader's verdict but has not written it: that entry lives under the
      // previous leader's health lease and goes with it (a SIGKILLed or stopped leader), so the first
      // probe writes it again under this replica's lease; one write per endpoint per term.
      const check: EndpointCheck = {
        target, settings, definition, health: target.known ?? settings.initialHealth, written: undefined,
        passes: 0, failures: 0, timer: undefined, stopped: false,
      };
      this.checks.set(key, check);
      // The first probe within one jitter window, so a new leader does not probe everything at once.
      this.schedule(check, Math.floor(Math.random() * (settings.jitterMs + 1)));
    }
    for (const [key, c] of this.checks) {
      if (seen.has(key)) continue;
      this.drop(c);
      this.checks.delete(key);
    }
  }

  private drop(c: EndpointCheck): void {
    c.stopped = true;
    clearTimeout(c.timer);
  }

  private schedule(c: EndpointCheck, delayMs: number): void {
    if (c.stopped) return;
    c.timer = setTimeout(() => void this.run(c), delayMs);
  }

  private async run(c: EndpointCheck): Promise<void> {
    const fence = this.fence;
    if (c.stopped || fence === undefined) return;
    const { address, port, check, tls, http2 } = c.target;
    const result = await this.probe(address, port, check, tls, http2 === true);
    if (c.stopped || this.fence !== fence) return;
    this.probes?.inc({ result: result.healthy ? 'healthy' : 'unhealthy' });
    this.count(c, result);
    if (c.health !== Health.UNKNOWN && c.health !== c.written) {
      const ok = await this.store(c, fence, result.reason);
      if (!ok) return;
    }
    this.schedule(c, nextProbeDelayMs(c.settings));
  }

  private count(c: EndpointCheck, result: ProbeResult): void {
    const reached = countProbe(c, result.healthy, c.settings);
    if (reached !== undefined) c.health = reached;
  }

  /** False when this replica was deposed (the checks have stopped). */
  private async store(c: EndpointCheck, fence: Fence, reason: string): Promise<boolean> {
    const { cluster, address, port } = c.target;
    const transition: HealthTransition = { cluster, address, port, health: c.health, reason };
    let ok: boolean;
    try {
      ok = await this.options.write(transition, fence);
    } catch (err) {
      this.options.log?.warn({ err, cluster, endpoint: endpointId(address, port) }, 'could not store a health transition; trying again after the next probe');
      return true;
    }
    if (ok) {
      c.written = transition.health;
      this.options.log?.info({ cluster, endpoint: endpointId(address, port), health: healthName(transition.health), reason }, 'health transition stored');
      return true;
    }
    this.refused?.inc();
    this.options.log?.warn({ createRevision: fence.createRevision }, 'a fenced health write was refused: this replica was deposed');
    if (this.fence === fence) this.halt();
    this.options.election.deposed(fence);
    return false;
  }
}
