// Counts of authorization decisions by policy, action and result, for
// sluice_proxy_rbac_decisions_total: plain numbers on the request path, read when scraped.
import type { AuthzDecision } from './authorizer.js';

export interface DecisionCount {
  readonly policy: string;
  readonly action: string;
  readonly result: string;
  readonly value: number;
}

export class AuthorizationStats {
  private readonly counts = new Map<string, { policy: string; action: string; result: string; value: number }>();

  record(decision: AuthzDecision): void {
    const key = `${decision.policy}\0${decision.action}\0${decision.result}`;
    const c = this.counts.get(key);
    if (c !== undefined) c.value++;
    else this.counts.set(key, { policy: decision.policy, action: decision.action, result: decision.result, value: 1 });
  }

  values(): Iterable<DecisionCount> {
    return this.counts.values();
  }
}
