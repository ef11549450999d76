// Passive health (Envoy's outlier detection): each serving process watches the tries it makes
// and ejects an endpoint after consecutive 5xx, gateway errors or connect failures, or at once when it
// refuses a connection. On by default (OutlierDetection.disabled turns it off). Never reported to the
// control plane; within one proxy every serving process adopts the others' ejections (SharedEjections).
import type { OutlierDetection } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Peer } from '../peer.js';
import { OutlierState } from './outlier-state.js';

/** The detector's settings with every default filled in (docs/health.md). */
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

/** The settings of a cluster's outlier_detection (unset: every default); undefined when it is disabled. */
export function outlierSettingsOf(od: OutlierDetection | undefined): OutlierSettings | undefined {
  if (od === undefined) return OUTLIER_DEFAULTS;
  if (od.disabled) return undefined;
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

/**
 * How a try failed without a response. `refused`: the connect was refused or reset (ECONNREFUSED,
 * ECONNRESET: nothing listens, or the endpoint dropped the handshake); `connect`: another connect
 * failure (a timeout); `reset`: the connection failed after it was established.
 */
export type FailureKind = 'refused' | 'connect' | 'reset';

/** Time left of an ejection that lasts until a probe passes. */
export const UNTIL_PROBED = Infinity;

export interface OutlierEvents {
  /**
   * A peer was ejected (for `ms`; UNTIL_PROBED: it refused a connection) or let back, and its
   * availability must be recomputed. `own`: this detector decided it; false for a verdict adopted from
   * another process and for the end of a timed ejection.
   */
  changed(peer: Peer, ejected: boolean, ms: number, own: boolean): void;
}

/** A verdict another process decided (EjectionVerdict without its address). */
export interface AdoptedEjection {
  readonly ejectedMs: number;
  readonly refused: boolean;
  readonly multiplier: number;
  readonly reason: string;
}

export class OutlierDetector {
  constructor(
    readonly settings: OutlierSettings,
    /** The cluster's peers now, for the ejected share. */
    private readonly peers: () => readonly Peer[],
    private readonly events: OutlierEvents,
    private readonly now: () => number = () => performance.now(),
    /**
     * Someone probes endpoints that refused a connection and lets them back (SharedEjections): a
     * refusal then ejects at once. Without it a refusal only counts as a connect failure, since
     * nothing would ever end the ejection.
     */
    private readonly refusalsProbed = false,
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
    if (s.ejectedUntilMs > 0 || s.untilProbed) return;
    s.consecutiveConnectFailures = 0;
    s.consecutive5xx++;
    if (status === 502 || status === 503 || status === 504) s.consecutiveGatewayErrors++;
    else s.consecutiveGatewayErrors = 0;
    this.check(peer, s);
  }

  /**
   * A try failed without a response. Every kind counts as a 5xx and a gateway error (the client would
   * get a 502/503/504), and a failed connect as a connect failure, as in Envoy without
   * split_external_local_origin_errors. A refusal (when refusals are probed) ejects at once, until a
   * probe passes: the endpoint itself said nothing listens, so there is nothing to wait for. Envoy,
   * with split_external_local_origin_errors, ejects after consecutive_local_origin_failure (5) such
   * failures; at full load those five arrive within a millisecond and each costs a retry, so waiting
   * for them buys nothing. Nor does max_ejection_percent hold a refusal back: it guards against
   * ejecting on statistics, and panic mode (selectPeers) still keeps a cluster whose every endpoint
   * refuses answering.
   */
  onFailure(peer: Peer, kind: FailureKind, reason = 'connect refused'): void {
    let s = peer.outlier;
    if (s === undefined) peer.outlier = s = new OutlierState();
    if (kind === 'refused' && this.refusalsProbed) {
      if (s.untilProbed) return;
      s.untilProbed = true;
      s.reason = reason;
      s.ejections++;
      s.resetCounters();
      this.events.changed(peer, true, UNTIL_PROBED, true);
      return;
    }
    if (s.ejectedUntilMs > 0 || s.untilProbed) return;
    s.consecutive5xx++;
    s.consecutiveGatewayErrors++;
    if (kind !== 'reset') s.consecutiveConnectFailures++;
    this.check(peer, s);
  }

  /**
   * Takes an ejection another process decided, or its end (SharedEjections' verdicts): the peer is
   * out exactly while the verdict says so, with its own timer for what is left of a timed ejection.
   */
  adopt(peer: Peer, verdict: AdoptedEjection): void {
    let s = peer.outlier;
    if (s === undefined) {
      if (verdict.ejectedMs <= 0 && !verdict.refused) return;
      peer.outlier = s = new OutlierState();
    }
    const wasOut = s.ejectedUntilMs > 0 || s.untilProbed;
    s.untilProbed = verdict.refused;
    if (verdict.ejectedMs > 0) {
      const state = s;
      s.multiplier = verdict.multiplier;
      s.ejectedUntilMs = this.now() + verdict.ejectedMs;
      s.clearTimer();
      s.timer = setTimeout(() => this.uneject(peer, state), verdict.ejectedMs);
      s.timer.unref();
    } else if (s.ejectedUntilMs > 0) {
      s.clearTimer();
      s.ejectedUntilMs = 0;
      s.lastUnejectedMs = this.now();
    }
    const out = s.ejectedUntilMs > 0 || s.untilProbed;
    if (out) s.reason = verdict.reason;
    if (out === wasOut) return;
    s.resetCounters();
    this.events.changed(peer, out, verdict.refused ? UNTIL_PROBED : verdict.ejectedMs, false);
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

  /**
   * At most maxEjectionPercent of the cluster ejected at once, but always at least one (as Envoy).
   * Endpoints out because they refused count too: a timed ejection does not add to them past the cap.
   */
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
    this.events.changed(peer, true, ms, true);
  }

  private uneject(peer: Peer, s: OutlierState): void {
    s.timer = undefined;
    s.ejectedUntilMs = 0;
    s.lastUnejectedMs = this.now();
    s.resetCounters();
    // A refusal during the ejection keeps the peer out until its probe passes.
    this.events.changed(peer, s.untilProbed, s.untilProbed ? UNTIL_PROBED : 0, false);
  }
}
