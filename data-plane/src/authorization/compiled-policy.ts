// One AuthorizationPolicy compiled for matching: its rules as value matchers, with Istio's logic
// (a rule: any `from` entry, any `to` entry and every `when` condition; a policy: any rule).
import type { AuthorizationPolicy, Condition, Operation, Rule, Source } from '../../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { ValueMatcher } from './value-matcher.js';
import { AuthorizationPolicyAction } from '../../../proto/src/model/enums.js';

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

/** Which attribute of the request a check reads. */
const PRINCIPAL = 0;
const NAMESPACE = 1;
const HOST = 2;
const PATH = 3;
const METHOD = 4;
const HEADER = 5;
type Attribute = typeof PRINCIPAL | typeof NAMESPACE | typeof HOST | typeof PATH | typeof METHOD | typeof HEADER;

/**
 * One field that is set, with its `not` twin: the positive list must match when set, the `not` list
 * must not. A missing value (no principal, no header) fails a positive list and passes a `not` one,
 * as Envoy's RBAC `not_id` does: `notPrincipals` therefore matches a plain-text caller. Fields left
 * empty get no check at all, so a rule costs what it names.
 */
interface Check {
  readonly attribute: Attribute;
  /** For HEADER: the lowercase header name. */
  readonly header: string;
  readonly yes: ValueMatcher | undefined;
  readonly no: ValueMatcher | undefined;
}

function check(attribute: Attribute, values: readonly string[], notValues: readonly string[], lowercase = false, header = ''): Check[] {
  if (values.length === 0 && notValues.length === 0) return [];
  return [{
    attribute,
    header,
    yes: values.length === 0 ? undefined : new ValueMatcher(values, lowercase),
    no: notValues.length === 0 ? undefined : new ValueMatcher(notValues, lowercase),
  }];
}

function valueOf(r: AuthzRequest, c: Check): string | undefined {
  switch (c.attribute) {
    case PRINCIPAL:
      return r.principal;
    case NAMESPACE:
      return r.namespace;
    case HOST:
      return r.host;
    case PATH:
      return r.path;
    case METHOD:
      return r.method;
    default:
      return r.header(c.header);
  }
}

/** Every check holds. */
function allHold(checks: readonly Check[], r: AuthzRequest): boolean {
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    const v = valueOf(r, c);
    if (c.yes !== undefined && !c.yes.matches(v)) return false;
    if (c.no !== undefined && c.no.matches(v)) return false;
  }
  return true;
}

/** Any entry's checks all hold; an empty list matches. */
function anyEntry(entries: readonly (readonly Check[])[], r: AuthzRequest): boolean {
  if (entries.length === 0) return true;
  for (let i = 0; i < entries.length; i++) if (allHold(entries[i]!, r)) return true;
  return false;
}

function sourceChecks(s: Source): Check[] {
  return [...check(PRINCIPAL, s.principals, s.notPrincipals), ...check(NAMESPACE, s.namespaces, s.notNamespaces)];
}

/** Methods first: the cheapest and the most selective in practice. */
function operationChecks(o: Operation): Check[] {
  return [...check(METHOD, o.methods, o.notMethods), ...check(PATH, o.paths, o.notPaths), ...check(HOST, o.hosts, o.notHosts, true)];
}

function conditionChecks(c: Condition): Check[] {
  return check(HEADER, c.values, c.notValues, false, c.header.toLowerCase());
}

class RuleMatcher {
  private readonly from: readonly (readonly Check[])[];
  private readonly to: readonly (readonly Check[])[];
  /** Every condition must hold: one list of checks. */
  private readonly when: readonly Check[];
  constructor(rule: Rule) {
    this.from = rule.from.map(sourceChecks);
    this.to = rule.to.map(operationChecks);
    this.when = rule.when.flatMap(conditionChecks);
  }
  matches(r: AuthzRequest): boolean {
    return anyEntry(this.from, r) && anyEntry(this.to, r) && allHold(this.when, r);
  }
}

export class CompiledPolicy {
  readonly name: string;
  readonly action: PolicyAction;
  readonly dryRun: boolean;
  private readonly rules: readonly RuleMatcher[];

  constructor(policy: AuthorizationPolicy) {
    this.name = policy.name;
    this.action = policy.action === AuthorizationPolicyAction.DENY ? 'DENY' : 'ALLOW';
    this.dryRun = policy.dryRun;
    this.rules = policy.rules.map((rule) => new RuleMatcher(rule));
  }

  /** Any rule matches. No rules: never (an ALLOW policy without rules admits nobody, as in Istio). */
  matches(request: AuthzRequest): boolean {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) if (rules[i]!.matches(request)) return true;
    return false;
  }
}
