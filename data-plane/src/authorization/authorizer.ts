// The authorization policies that apply to this proxy, compiled once per snapshot, and the decision
// for one request with Istio's semantics: DENY policies first (any match denies); then, when an ALLOW
// policy applies, the request must match one; with no ALLOW policy it is allowed. Dry-run policies
// never change the answer: the decision is taken a second time as if they were enforced, and a
// request that would then be denied is reported as `would_deny`.
import type { AuthorizationPolicy } from '../../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { selectsWorkload } from '../../../proto/src/model/selects-workload.js';
import { CompiledPolicy, type AuthzRequest, type PolicyAction } from './compiled-policy.js';

/** The proxy's own workload, which policy selectors pick: its --service and --namespace. */
export interface Workload {
  readonly service: string;
  readonly namespace: string;
}

export type AuthzResult = 'allowed' | 'denied' | 'would_deny';

export interface AuthzDecision {
  readonly result: AuthzResult;
  /** The policy that decided: the DENY policy that matched, the ALLOW policy that admitted, or '' (none did). */
  readonly policy: string;
  /** The action of that policy; for a request no ALLOW policy admitted, ALLOW; '' when nothing applied. */
  readonly action: PolicyAction | '';
  /** The caller's SPIFFE ID, for the access log; undefined without a verified client certificate. */
  readonly principal: string | undefined;
}

interface Verdict {
  readonly allowed: boolean;
  readonly policy: string;
  readonly action: PolicyAction | '';
}

export class Authorizer {
  private readonly deny: CompiledPolicy[] = [];
  private readonly allow: CompiledPolicy[] = [];
  private readonly dryDeny: CompiledPolicy[] = [];
  private readonly dryAllow: CompiledPolicy[] = [];
  /** Enforced and dry-run policies together: the decision as if the dry-run ones were enforced. */
  private readonly shadowDeny: CompiledPolicy[];
  private readonly shadowAllow: CompiledPolicy[];

  /** `policies` in name order, so that the policy named in logs is the same on every proxy. */
  constructor(policies: Iterable<AuthorizationPolicy>, workload: Workload) {
    const sorted = [...policies].filter((p) => selectsWorkload(p.selector, workload)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of sorted) {
      const c = new CompiledPolicy(p);
      (c.dryRun ? (c.action === 'DENY' ? this.dryDeny : this.dryAllow) : c.action === 'DENY' ? this.deny : this.allow).push(c);
    }
    this.shadowDeny = [...this.deny, ...this.dryDeny];
    this.shadowAllow = [...this.allow, ...this.dryAllow];
  }

  /** No policy applies to this proxy: requests are not evaluated (and not counted). */
  get empty(): boolean {
    return this.deny.length + this.allow.length + this.dryDeny.length + this.dryAllow.length === 0;
  }

  decide(request: AuthzRequest): AuthzDecision {
    const enforced = verdict(request, this.deny, this.allow);
    const principal = request.principal;
    if (!enforced.allowed) return { result: 'denied', policy: enforced.policy, action: enforced.action, principal };
    if (this.dryDeny.length > 0 || this.dryAllow.length > 0) {
      const shadow = verdict(request, this.shadowDeny, this.shadowAllow);
      if (!shadow.allowed) return { result: 'would_deny', policy: shadow.policy, action: shadow.action, principal };
    }
    return { result: 'allowed', policy: enforced.policy, action: enforced.action, principal };
  }
}

function verdict(request: AuthzRequest, deny: readonly CompiledPolicy[], allow: readonly CompiledPolicy[]): Verdict {
  for (const p of deny) if (p.matches(request)) return { allowed: false, policy: p.name, action: 'DENY' };
  if (allow.length === 0) return { allowed: true, policy: '', action: '' };
  for (const p of allow) if (p.matches(request)) return { allowed: true, policy: p.name, action: 'ALLOW' };
  return { allowed: false, policy: '', action: 'ALLOW' };
}
