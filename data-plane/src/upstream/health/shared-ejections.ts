// A proxy's outlier ejections across its serving processes, kept by the process that runs the health
// checks (the primary with --workers N, else the only process). A serving process ejects on its own
// and reports it here; every serving process then gets the verdict, and one forked later gets the
// current ones, so no worker keeps sending to an endpoint another has seen fail. Endpoints that refused
// a connection are probed from here (RefusalProbes) and let back everywhere when a probe passes.
import type { ResourceSet } from '../../../../proto/src/model/resource-set.js';
import type { Cluster, HealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import { mergeEndpoints } from '../../../../proto/src/model/merge-endpoints.js';
import type { Endpoint } from '../../../../proto/gen/sluice/v1/endpoints_pb.js';
import { endpointWireOf, wireOf } from '../cluster-wire.js';
import type { MeshTls } from '../../identity/mesh-tls.js';
import { DEFAULT_POOL_OPTIONS } from '../connection-pool.js';
import { clusterEndpointKey } from '../peer.js';
import { ejects, type EjectionReport, type EjectionVerdict } from './ejection.js';
import { outlierSettingsOf } from './outlier-detector.js';
import { RefusalProbes, type ProbeTarget, type RefusalProbeOptions } from './refusal-probes.js';
import { Health } from '../../../../proto/src/model/enums.js';

interface ClusterInfo {
  readonly endpoints: ReadonlySet<string>;
  readonly maxEjectionPercent: number;
  target(address: string, port: number): ProbeTarget;
}

interface Entry {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  /** performance.now() at which a timed ejection ends; 0: none. */
  untilMs: number;
  refused: boolean;
  multiplier: number;
  reason: string;
}

export interface SharedEjectionsOptions extends RefusalProbeOptions {
  readonly now?: () => number;
  /** The proxy's mesh TLS: endpoints with an `identity` are probed over mutual TLS. */
  readonly meshTls?: MeshTls;
}

export class SharedEjections {
  private readonly entries = new Map<string, Entry>();
  private clusters = new Map<string, ClusterInfo>();
  private readonly probes: RefusalProbes;
  private readonly now: () => number;
  private readonly meshTls: MeshTls | undefined;

  /** `publish` gets every change, for every serving process (the reporter included). */
  constructor(private readonly publish: (verdicts: EjectionVerdict[]) => void, options: SharedEjectionsOptions = {}) {
    this.probes = new RefusalProbes(options);
    this.now = options.now ?? (() => performance.now());
    this.meshTls = options.meshTls;
  }

  /**
   * Follows an applied configuration: what each cluster probes with and how many of its endpoints may
   * be ejected. Ejections of endpoints (or clusters) no longer configured, or of clusters whose outlier
   * detection is now disabled, are forgotten.
   */
  update(set: ResourceSet): void {
    const clusters = new Map<string, ClusterInfo>();
    for (const cluster of set.list('Cluster')) {
      const settings = outlierSettingsOf(cluster.outlierDetection);
      if (settings === undefined) continue;
      const endpoints = mergeEndpoints(set.get('Endpoints', cluster.name)?.endpoints ?? [], cluster.endpoints);
      clusters.set(cluster.name, {
        endpoints: new Set(endpoints.map((e) => `${e.address}:${e.port}`)),
        maxEjectionPercent: settings.maxEjectionPercent,
        target: probeTargetOf(cluster, endpoints, (name) => set.get('Certificate', name), this.meshTls),
      });
    }
    this.clusters = clusters;
    for (const [key, e] of this.entries) {
      if (clusters.get(e.cluster)?.endpoints.has(`${e.address}:${e.port}`) === true) continue;
      this.entries.delete(key);
      this.probes.stop(key);
    }
  }

  /** A serving process ejected an endpoint: every process gets the verdict (or, over the cap, the reporter gets it back). */
  report(r: EjectionReport): void {
    const key = clusterEndpointKey(r.cluster, r.address, r.port);
    const now = this.now();
    let e = this.entries.get(key);
    if (e === undefined) e = { cluster: r.cluster, address: r.address, port: r.port, untilMs: 0, refused: false, multiplier: 0, reason: '' };
    if (r.refused) {
      if (e.refused) return;
      e.refused = true;
      e.reason = r.reason;
      this.entries.set(key, e);
      this.publish([this.verdictOf(e, now)]);
      this.probes.start(key, () => this.targetOf(key), (result) => this.letBack(key, result.reason));
      return;
    }
    // Two workers ejecting the same endpoint at once: the first one's time stands.
    if (e.untilMs > now) return;
    if (!this.mayEject(r.cluster, key, now)) {
      // The reporter decided on its own view; the cap is the proxy's: it lets the endpoint back.
      this.publish([this.verdictOf(e, now)]);
      return;
    }
    e.untilMs = now + r.ms;
    e.multiplier = r.multiplier;
    e.reason = r.reason;
    this.entries.set(key, e);
    this.publish([this.verdictOf(e, now)]);
  }

  /** Every endpoint out now, for a serving process that starts (or a snapshot that needs them). */
  states(): EjectionVerdict[] {
    const now = this.now();
    const out: EjectionVerdict[] = [];
    for (const [key, e] of this.entries) {
      const v = this.verdictOf(e, now);
      if (ejects(v)) out.push(v);
      else this.entries.delete(key);
    }
    return out;
  }

  stop(): void {
    this.probes.stopAll();
  }

  private letBack(key: string, reason: string): void {
    const e = this.entries.get(key);
    if (e === undefined || !e.refused) return;
    e.refused = false;
    const v = this.verdictOf(e, this.now());
    if (!ejects(v)) this.entries.delete(key);
    this.publish([{ ...v, reason: ejects(v) ? v.reason : `probe passed: ${reason}` }]);
  }

  /** The cluster's cap on ejections (max_ejection_percent, at least one), counting refused endpoints. */
  private mayEject(cluster: string, key: string, now: number): boolean {
    const info = this.clusters.get(cluster);
    if (info === undefined) return true;
    let out = 0;
    for (const [k, e] of this.entries) if (k !== key && e.cluster === cluster && (e.refused || e.untilMs > now)) out++;
    return out < Math.max(1, Math.floor((info.endpoints.size * info.maxEjectionPercent) / 100));
  }

  /** What to probe `key` with; an endpoint reported before its configuration arrived here gets a TCP connect. */
  private targetOf(key: string): ProbeTarget | undefined {
    const e = this.entries.get(key);
    if (e === undefined || !e.refused) return undefined;
    return this.clusters.get(e.cluster)?.target(e.address, e.port) ?? { address: e.address, port: e.port, check: tcpCheck(DEFAULT_POOL_OPTIONS.connectTimeoutMs), tls: undefined, http2: false };
  }

  private verdictOf(e: Entry, now: number): EjectionVerdict {
    const ejectedMs = e.untilMs > now ? Math.ceil(e.untilMs - now) : 0;
    return { cluster: e.cluster, address: e.address, port: e.port, ejectedMs, refused: e.refused, multiplier: e.multiplier, reason: e.reason };
  }
}

function tcpCheck(timeoutMs: number): HealthCheck {
  // Written out, not made with protobuf's create(): workers do not load protobuf.
  return {
    $typeName: 'sluice.v1.HealthCheck',
    check: { case: 'tcp', value: { $typeName: 'sluice.v1.TcpHealthCheck' } },
    intervalMs: 0,
    timeoutMs,
    unhealthyThreshold: 0,
    healthyThreshold: 0,
    jitterMs: 0,
    initialHealth: Health.UNKNOWN,
  };
}

/**
 * The cluster's own health check (over its TLS and HTTP version; a mesh endpoint over mutual TLS),
 * else a TCP connect within its connect timeout.
 */
function probeTargetOf(cluster: Cluster, endpoints: readonly Endpoint[], certificates: Parameters<typeof wireOf>[1], meshTls: MeshTls | undefined): ClusterInfo['target'] {
  const clusterWire = wireOf(cluster, certificates);
  const identities = new Map(endpoints.filter((e) => e.identity !== '').map((e) => [`${e.address}:${e.port}`, e.identity]));
  const check = cluster.healthCheck ?? tcpCheck(cluster.connectTimeoutMs || DEFAULT_POOL_OPTIONS.connectTimeoutMs);
  return (address, port) => {
    const { wire } = endpointWireOf(cluster, clusterWire, { identity: identities.get(`${address}:${port}`) ?? '' }, meshTls);
    return { address, port, check, tls: wire.tls, http2: wire.protocol === 'h2c' || wire.protocol === 'h2' };
  };
}
