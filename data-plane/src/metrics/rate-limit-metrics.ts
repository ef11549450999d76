// Metrics of `scope: mesh` rate limits, kept by the process that borrows from the control plane (the
// primary with --workers N): how often the proxy decided alone because the control plane gave no answer.
import { Counter, Registry } from 'prom-client';

/** Why a borrow was decided by the proxy alone (fail open to its own bucket). */
export type RateLimitFallbackReason = 'no_control_plane' | 'disconnected' | 'timeout' | 'error';

const REASONS: readonly RateLimitFallbackReason[] = ['no_control_plane', 'disconnected', 'timeout', 'error'];

export class RateLimitMetrics {
  readonly registry = new Registry();
  private readonly fallbacks: Counter<'reason'>;

  constructor() {
    this.fallbacks = new Counter({
      name: 'sluice_proxy_rate_limit_fallbacks_total',
      help: 'Borrows of mesh-scoped rate-limit tokens decided by this proxy alone, from its own bucket, by reason: no_control_plane (static --config), disconnected, timeout (500 ms), error.',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    for (const reason of REASONS) this.fallbacks.inc({ reason }, 0);
  }

  fellBack(reason: RateLimitFallbackReason): void {
    this.fallbacks.inc({ reason });
  }
}
