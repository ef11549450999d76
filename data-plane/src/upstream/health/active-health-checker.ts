// Active health checks of a proxy. Runs in ONE process per proxy, as Envoy runs them on its
// main thread: the primary with --workers N, else the only process. It probes every endpoint of every
// cluster that has a health_check and emits transitions; the caller passes them to the serving code
// (MeshProxy.setActiveHealth, or an IPC message to each worker) and to the control plane
// (DiscoveryClient.reportHealth).
import type { ResourceSet } from '../../../../proto/src/model/resource-set.js';
import type { HealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';

import type { ConnectionOptions } from 'node:tls';
import { mergeEndpoints } from '../../../../proto/src/model/merge-endpoints.js';
import { endpointWireOf, wireOf } from '../cluster-wire.js';
import type { MeshTls } from '../../identity/mesh-tls.js';
import { countProbe, healthCheckSettingsOf, nextProbeDelayMs, type HealthCheckSettings } from './health-check-settings.js';
import { probeEndpoint, type ProbeResult } from './probe.js';
import { clusterEndpointKey } from '../peer.js';
import { Health } from '../../../../proto/src/model/enums.js';

export interface HealthTransition {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  /** UNKNOWN only with cause `removed` (no longer checked); otherwise HEALTHY or UNHEALTHY. */
  readonly health: Health;
  readonly reason: string;
  /**
   * `probe`: probes decided it (the first decision of an endpoint is always emitted, even when it
   * equals the initial health). `initial`: a newly seen endpoint starts UNHEALTHY (initial_health).
   * `removed`: the endpoint, its cluster or the cluster's health_check is gone.
   */
  readonly cause: 'probe' | 'initial' | 'removed';
}

export interface ActiveHealthCheckerOptions {
  /** Transitions, batched: those that happen in the same turn of the event loop come together. */
  onTransitions(transitions: HealthTransition[]): void;
  /** Each probe's outcome (metrics). */
  onProbe?(cluster: string, healthy: boolean): void;
  /** Jitter's randomness (tests pin it). */
  readonly random?: () => number;
  /** The proxy's mesh TLS: endpoints with an `identity` are probed over mutual TLS. */
  readonly meshTls?: MeshTls;
}

interface Target {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  check: HealthCheck;
  settings: HealthCheckSettings;
  tls: ConnectionOptions | undefined;
  /** H2C and H2 clusters: the HTTP check is an HTTP/2 request. */
  http2: boolean;
  health: Health;
  /** Probes have decided at least once. */
  confirmed: boolean;
  passes: number;
  failures: number;
  reason: string;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export class ActiveHealthChecker {
  private readonly targets = new Map<string, Target>();
  private pending: HealthTransition[] = [];
  private flushScheduled = false;
  private stopped = false;

  constructor(private readonly options: ActiveHealthCheckerOptions) {}

  /**
   * Follows an applied configuration: endpoints (inline plus Endpoints, as cluster-state.ts merges
   * them) of clusters with a health_check. Endpoints still present keep their state and schedule;
   * new ones start at initial_health and are probed at once; removed ones stop being probed.
   */
  update(set: ResourceSet): void {
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const cluster of set.list('Cluster')) {
      const check = cluster.healthCheck;
      if (check === undefined) continue;
      const settings = healthCheckSettingsOf(check);
      const clusterWire = wireOf(cluster, (name) => set.get('Certificate', name));
      for (const e of mergeEndpoints(set.get('Endpoints', cluster.name)?.endpoints ?? [], cluster.endpoints)) {
        // A mesh endpoint is probed over mutual TLS, as traffic reaches it (a STRICT sidecar refuses plain text).
        const { wire } = endpointWireOf(cluster, clusterWire, e, this.options.meshTls);
        const { tls } = wire;
        const http2 = wire.protocol === 'h2c' || wire.protocol === 'h2';
        const key = clusterEndpointKey(cluster.name, e.address, e.port);
        seen.add(key);
        const t = this.targets.get(key);
        if (t !== undefined) {
          t.check = check;
          t.settings = settings;
          t.tls = tls;
          t.http2 = http2;
          continue;
        }
        const target: Target = { cluster: cluster.name, address: e.address, port: e.port, check, settings, tls, http2, health: settings.initialHealth, confirmed: false, passes: 0, failures: 0, reason: 'initial health', timer: undefined, stopped: false };
        this.targets.set(key, target);
        if (target.health === Health.UNHEALTHY) this.emit(target, 'initial');
        // The first probe right away (plus jitter, so a fleet started together does not probe in step).
        this.schedule(target, Math.floor((this.options.random ?? Math.random)() * (settings.jitterMs + 1)));
      }
    }
    for (const [key, t] of this.targets) {
      if (seen.has(key)) continue;
      this.targets.delete(key);
      this.stopTarget(t);
      if (t.health !== Health.UNKNOWN) {
        t.health = Health.UNKNOWN;
        t.reason = 'no longer checked';
        this.emit(t, 'removed');
      }
    }
  }

  /** Every checked endpoint's current health (UNKNOWN: not decided yet). */
  states(): HealthTransition[] {
    return [...this.targets.values()].map((t) => ({ cluster: t.cluster, address: t.address, port: t.port, health: t.health, reason: t.reason, cause: t.confirmed ? 'probe' : 'initial' }));
  }

  /** Stops every probe; probes in flight finish and are ignored. */
  stop(): void {
    this.stopped = true;
    for (const t of this.targets.values()) this.stopTarget(t);
    this.targets.clear();
  }

  private stopTarget(t: Target): void {
    t.stopped = true;
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.timer = undefined;
  }

  private schedule(t: Target, delayMs: number): void {
    t.timer = setTimeout(() => void this.run(t), delayMs);
    t.timer.unref();
  }

  private async run(t: Target): Promise<void> {
    t.timer = undefined;
    let result: ProbeResult;
    try {
      result = await probeEndpoint(t.address, t.port, t.check, t.tls, t.http2);
    } catch (err) {
      result = { healthy: false, reason: `probe failed: ${(err as Error).message}` };
    }
    if (t.stopped) return;
    this.options.onProbe?.(t.cluster, result.healthy);
    this.record(t, result);
    // The next probe is an interval (plus jitter) after this one ended: a slow endpoint is never
    // probed twice at once.
    this.schedule(t, nextProbeDelayMs(t.settings, this.options.random));
  }

  private record(t: Target, result: ProbeResult): void {
    const reached = countProbe(t, result.healthy, t.settings);
    if (reached !== undefined && (t.health !== reached || !t.confirmed)) this.decide(t, reached, result.reason);
  }

  private decide(t: Target, health: Health, reason: string): void {
    t.health = health;
    t.reason = reason;
    t.confirmed = true;
    this.emit(t, 'probe');
  }

  private emit(t: Target, cause: HealthTransition['cause']): void {
    this.pending.push({ cluster: t.cluster, address: t.address, port: t.port, health: t.health, reason: t.reason, cause });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length > 0) this.options.onTransitions(batch);
    });
  }
}
