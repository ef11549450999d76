// One AuthorizationPolicy compiled for matching: its rules as value matchers, with Istio's logic
// (a rule: any `from` entry, any `to` entry and every `when` condition; a policy: any rule).
import { AuthorizationPolicy_Action, type AuthorizationPolicy, type Condition, type Operation, type Source } from '../../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { ValueMatcher } from './value-matcher.js';

/** What the rules look at in a request, read once per request. */
export interface AuthzRequest {
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
  /** Lowercase, without the port. */
  readonly host: string;
  /** Normalized (normalize-path.ts), without the query. */
  readonly path: string;
  readonly method: string;
  /** A header's value (several fields joined with `,`, as Envoy's header matchers see them), or undefined. */
  header(name: string): string | undefined;
}

export type PolicyAction = 'ALLOW' | 'DENY';

/**
 * A positive list and its `not` twin: the positive one must match when set, the `not` one must not.
 * A missing value (no principal, no header) fails a positive list and passes a `not` one, as Envoy's
 * RBAC `not_id` does: `notPrincipals` therefore matches a plain-text caller.
 */
class Field {
  private readonly yes: ValueMatcher;
  private readonly no: ValueMatcher;
  constructor(values: readonly string[], notValues: readonly string[], lowercase = false) {
    this.yes = new ValueMatcher(values, lowercase);
    this.no = new ValueMatcher(notValues, lowercase);
  }
  matches(value: string | undefined): boolean {
    return (this.yes.empty || this.yes.matches(value)) && !this.no.matches(value);
  }
}

class SourceMatcher {
  private readonly principals: Field;
  private readonly namespaces: Field;
  constructor(s: Source) {
    this.principals = new Field(s.principals, s.notPrincipals);
    this.namespaces = new Field(s.namespaces, s.notNamespaces);
  }
  matches(r: AuthzRequest): boolean {
    return this.principals.matches(r.principal) && this.namespaces.matches(r.namespace);
  }
}

class OperationMatcher {
  private readonly hosts: Field;
  private readonly paths: Field;
  private readonly methods: Field;
  constructor(o: Operation) {
    this.hosts = new Field(o.hosts, o.notHosts, true);
    this.paths = new Field(o.paths, o.notPaths);
    this.methods = new Field(o.methods, o.notMethods);
  }
  matches(r: AuthzRequest): boolean {
    return this.methods.matches(r.method) && this.paths.matches(r.path) && this.hosts.matches(r.host);
  }
}

class ConditionMatcher {
  private readonly header: string;
  private readonly values: Field;
  constructor(c: Condition) {
    this.header = c.header.toLowerCase();
    this.values = new Field(c.values, c.notValues);
  }
  matches(r: AuthzRequest): boolean {
    return this.values.matches(r.header(this.header));
  }
}

class RuleMatcher {
  constructor(
    private readonly from: readonly SourceMatcher[],
    private readonly to: readonly OperationMatcher[],
    private readonly when: readonly ConditionMatcher[],
  ) {}
  matches(r: AuthzRequest): boolean {
    return (this.from.length === 0 || this.from.some((s) => s.matches(r)))
      && (this.to.length === 0 || this.to.some((o) => o.matches(r)))
      && this.when.every((c) => c.matches(r));
  }
}

export class CompiledPolicy {
  readonly name: string;
  readonly action: PolicyAction;
  readonly dryRun: boolean;
  private readonly rules: readonly RuleMatcher[];

  constructor(policy: AuthorizationPolicy) {
    this.name = policy.name;
    this.action = policy.action === AuthorizationPolicy_Action.DENY ? 'DENY' : 'ALLOW';
    this.dryRun = policy.dryRun;
    this.rules = policy.rules.map((rule) => new RuleMatcher(rule.from.map((s) => new SourceMatcher(s)), rule.to.map((o) => new OperationMatcher(o)), rule.when.map((c) => new ConditionMatcher(c))));
  }

  /** Any rule matches. No rules: never (an ALLOW policy without rules admits nobody, as in Istio). */
  matches(request: AuthzRequest): boolean {
    return this.rules.some((rule) => rule.matches(request));
  }
}
