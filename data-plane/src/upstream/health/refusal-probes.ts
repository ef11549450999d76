// Probes of endpoints that refused a connection, from the process that runs the health checks: each
// is probed soon after the refusal, then with a doubling delay, until one probe passes; then it may
// take traffic again. The probe is the cluster's active health check when it has one (an endpoint that
// listens but fails its check stays out), else a TCP connect.
import type { ConnectionOptions } from 'node:tls';
import type { HealthCheck } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import { probeEndpoint, type ProbeResult } from './probe.js';

/** The first probe this long after the refusal: a restarting endpoint is back within a fraction of a second. */
export const REFUSAL_PROBE_FIRST_MS = 100;
/** The delay doubles up to this: an endpoint that stays down costs one connect per 5 s per proxy. */
export const REFUSAL_PROBE_MAX_MS = 5000;

export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
  readonly check: HealthCheck;
  readonly tls: ConnectionOptions | undefined;
  /** H2C and H2 clusters: an HTTP check is an HTTP/2 request. */
  readonly http2: boolean;
}

export type ProbeFn = (target: ProbeTarget) => Promise<ProbeResult>;

export interface RefusalProbeOptions {
  readonly probe?: ProbeFn;
  readonly firstMs?: number;
  readonly maxMs?: number;
}

interface Running {
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export class RefusalProbes {
  private readonly running = new Map<string, Running>();
  private readonly probe: ProbeFn;
  private readonly firstMs: number;
  private readonly maxMs: number;

  constructor(options: RefusalProbeOptions = {}) {
    this.probe = options.probe ?? ((t) => probeEndpoint(t.address, t.port, t.check, t.tls, t.http2));
    this.firstMs = options.firstMs ?? REFUSAL_PROBE_FIRST_MS;
    this.maxMs = options.maxMs ?? REFUSAL_PROBE_MAX_MS;
  }

  /**
   * Probes `key` until a probe passes, then calls `passed` once. `target` is asked before each probe,
   * so a configuration update changes the check; undefined stops probing (the endpoint is gone).
   * Already probing `key`: nothing changes.
   */
  start(key: string, target: () => ProbeTarget | undefined, passed: (result: ProbeResult) => void): void {
    if (this.running.has(key)) return;
    const run: Running = { timer: undefined, stopped: false };
    this.running.set(key, run);
    const next = (delayMs: number): void => {
      run.timer = setTimeout(() => void once(delayMs), delayMs);
      run.timer.unref();
    };
    const once = async (delayMs: number): Promise<void> => {
      run.timer = undefined;
      const t = target();
      if (t === undefined) return this.stop(key);
      let result: ProbeResult;
      try {
        result = await this.probe(t);
      } catch (err) {
        result = { healthy: false, reason: `probe failed: ${(err as Error).message}` };
      }
      if (run.stopped) return;
      if (!result.healthy) return next(Math.min(delayMs * 2, this.maxMs));
      this.running.delete(key);
      passed(result);
    };
    next(this.firstMs);
  }

  /** Stops probing `key`; a probe in flight finishes and is ignored. */
  stop(key: string): void {
    const run = this.running.get(key);
    if (run === undefined) return;
    run.stopped = true;
    if (run.timer !== undefined) clearTimeout(run.timer);
    this.running.delete(key);
  }

  probing(key: string): boolean {
    return this.running.has(key);
  }

  stopAll(): void {
    for (const key of [...this.running.keys()]) this.stop(key);
  }
}
