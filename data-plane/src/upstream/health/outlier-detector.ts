// Passive health (Envoy's outlier detection, issue 7): each serving process watches the tries it makes
// and ejects an endpoint after consecutive 5xx, gateway errors or connect failures. Local only: it is
// never reported to the control plane, and each worker process judges on its own traffic.
import type { OutlierDetection } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Peer } from '../peer.js';
import { OutlierState } from './outlier-state.js';

/** The detector's settings with every default filled in (README "Health checks and outlier detection (proxy)"). */
export interface OutlierSettings {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayErrors: number;
  readonly consecutiveConnectFailures: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
}

/** Envoy's defaults (outlier_detection.proto), where 0 (unset in proto3) stands for them. */
export const OUTLIER_DEFAULTS: OutlierSettings = Object.freeze({
  consecutive5xx: 5,
  consecutiveGatewayErrors: 5,
  consecutiveConnectFailures: 5,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
});

export function outlierSettingsOf(od: OutlierDetection): OutlierSettings {
  const base = od.baseEjectionTimeMs || OUTLIER_DEFAULTS.baseEjectionTimeMs;
  return {
    consecutive5xx: od.consecutive5xx || OUTLIER_DEFAULTS.consecutive5xx,
    consecutiveGatewayErrors: od.consecutiveGatewayErrors || OUTLIER_DEFAULTS.consecutiveGatewayErrors,
    consecutiveConnectFailures: od.consecutiveConnectFailures || OUTLIER_DEFAULTS.consecutiveConnectFailures,
    baseEjectionTimeMs: base,
    // Envoy: the cap is at least the base time.
    maxEjectionTimeMs: Math.max(base, od.maxEjectionTimeMs || OUTLIER_DEFAULTS.maxEjectionTimeMs),
    maxEjectionPercent: od.maxEjectionPercent || OUTLIER_DEFAULTS.maxEjectionPercent,
  };
}

export interface OutlierEvents {
  /** A peer was ejected (for `ms`) or its ejection ended; availability must be recomputed. */
  changed(peer: Peer, ejected: boolean, ms: number): void;
}

export class OutlierDetector {
  constructor(
    readonly settings: OutlierSettings,
    /** The cluster's peers now, for the ejected share. */
    private readonly peers: () => readonly Peer[],
    private readonly events: OutlierEvents,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A try got a response head with `status` (from MeshProxy.upstreamResponse, retried answers included). */
  onStatus(peer: Peer, status: number): void {
    let s = peer.outlier;
    if (status < 500) {
      // The common case: nothing to count, and nothing allocated for a peer that never failed.
      if (s !== undefined && (s.consecutive5xx | s.consecutiveGatewayErrors | s.consecutiveConnectFailures) !== 0) s.resetCounters();
      return;
    }
    if (s === undefined) peer.outlier = s = new OutlierState();
    if (s.ejectedUntilMs > 0) return;
    s.consecutiveConnectFailures = 0;
    s.consecutive5xx++;
    if (status === 502 || status === 503 || status === 504) s.consecutiveGatewayErrors++;
    else s.consecutiveGatewayErrors = 0;
    this.check(peer, s);
  }

  /**
   * A try failed without a response: `connect` for a refused or timed-out connect, else a reset or a
   * timeout after connecting. Both count as gateway errors and 5xx (the client gets a 502/503/504),
   * as in Envoy without split_external_local_origin_errors.
   */
  onFailure(peer: Peer, connect: boolean): void {
    let s = peer.outlier;
    if (s === undefined) peer.outlier = s = new OutlierState();
    if (s.ejectedUntilMs > 0) return;
    s.consecutive5xx++;
    s.consecutiveGatewayErrors++;
    if (connect) s.consecutiveConnectFailures++;
    this.check(peer, s);
  }

  private check(peer: Peer, s: OutlierState): void {
    const t = this.settings;
    let reason: string;
    if (s.consecutiveConnectFailures >= t.consecutiveConnectFailures) reason = `${s.consecutiveConnectFailures} consecutive connect failures`;
    else if (s.consecutiveGatewayErrors >= t.consecutiveGatewayErrors) reason = `${s.consecutiveGatewayErrors} consecutive gateway errors`;
    else if (s.consecutive5xx >= t.consecutive5xx) reason = `${s.consecutive5xx} consecutive 5xx`;
    else return;
    if (!this.mayEject()) return;
    this.eject(peer, s, reason);
  }

  /** At most maxEjectionPercent of the cluster ejected at once, but always at least one (as Envoy). */
  private mayEject(): boolean {
    const peers = this.peers();
    let ejected = 0;
    for (const p of peers) if (p.ejected) ejected++;
    const allowed = Math.max(1, Math.floor((peers.length * this.settings.maxEjectionPercent) / 100));
    return ejected < allowed;
  }

  private eject(peer: Peer, s: OutlierState, reason: string): void {
    const t = this.settings;
    const now = this.now();
    // The multiplier decays by one per base ejection time the endpoint went without an ejection
    // since its last one ended (Envoy decrements it per detection interval while the host is healthy).
    if (s.lastUnejectedMs > 0) s.multiplier = Math.max(0, s.multiplier - Math.floor((now - s.lastUnejectedMs) / t.baseEjectionTimeMs));
    s.multiplier++;
    const ms = Math.min(t.baseEjectionTimeMs * s.multiplier, t.maxEjectionTimeMs);
    s.ejectedUntilMs = now + ms;
    s.reason = reason;
    s.ejections++;
    s.resetCounters();
    s.clearTimer();
    s.timer = setTimeout(() => this.uneject(peer, s), ms);
    s.timer.unref();
    this.events.changed(peer, true, ms);
  }

  private uneject(peer: Peer, s: OutlierState): void {
    s.timer = undefined;
    s.ejectedUntilMs = 0;
    s.lastUnejectedMs = this.now();
    s.resetCounters();
    this.events.changed(peer, false, 0);
  }
}
