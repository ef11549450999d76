// Semantic checks of one AuthorizationPolicy: every principal a SPIFFE ID or pattern, every method a
// known one, no empty source, operation or condition (Istio refuses those too), and the size limits
// that bound the work of matching one request (docs/security.md, "Limits").
import type { AuthorizationPolicy, Condition, Operation, Rule, Source } from '../../../gen/sluice/v1/authorization_policy_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkHeaderName } from './syntax.js';
import { checkHeaderValue, checkHostValue, checkMethod, checkNamespacePattern, checkPathValue, checkPrincipal } from './policy-pattern.js';
import { validateWorkloadSelector } from './workload-selector.js';

/** Rules of one policy. */
export const MAX_POLICY_RULES = 64;
/** Entries of one rule's from, to or when. */
export const MAX_RULE_ENTRIES = 32;
/** Values of one list (principals, paths, values, ...). */
export const MAX_POLICY_VALUES = 256;
/** Characters of one value. */
export const MAX_POLICY_VALUE_LENGTH = 1024;

type Check = (value: string, path: string, errors: FieldErrors) => void;

export function validateAuthorizationPolicy(policy: AuthorizationPolicy, path: string, errors: FieldErrors): void {
  validateWorkloadSelector(policy.selector, path, errors);
  const rulesAt = fieldPath(path, 'rules');
  if (policy.rules.length > MAX_POLICY_RULES) errors.add(rulesAt, `at most ${MAX_POLICY_RULES} rules per policy, got ${policy.rules.length}`);
  policy.rules.slice(0, MAX_POLICY_RULES).forEach((rule, i) => checkRule(rule, `${rulesAt}[${i}]`, errors));
}

function checkRule(rule: Rule, path: string, errors: FieldErrors): void {
  entries(rule.from, fieldPath(path, 'from'), errors, checkSource);
  entries(rule.to, fieldPath(path, 'to'), errors, checkOperation);
  entries(rule.when, fieldPath(path, 'when'), errors, checkCondition);
}

function entries<T>(list: readonly T[], path: string, errors: FieldErrors, check: (entry: T, path: string, errors: FieldErrors) => void): void {
  if (list.length > MAX_RULE_ENTRIES) errors.add(path, `at most ${MAX_RULE_ENTRIES} entries, got ${list.length}`);
  list.slice(0, MAX_RULE_ENTRIES).forEach((entry, i) => check(entry, `${path}[${i}]`, errors));
}

function checkSource(source: Source, path: string, errors: FieldErrors): void {
  const fields = { principals: source.principals, notPrincipals: source.notPrincipals, namespaces: source.namespaces, notNamespaces: source.notNamespaces };
  if (!anySet(fields, path, errors)) return;
  values(source.principals, fieldPath(path, 'principals'), errors, checkPrincipal);
  values(source.notPrincipals, fieldPath(path, 'notPrincipals'), errors, checkPrincipal);
  values(source.namespaces, fieldPath(path, 'namespaces'), errors, checkNamespacePattern);
  values(source.notNamespaces, fieldPath(path, 'notNamespaces'), errors, checkNamespacePattern);
}

function checkOperation(op: Operation, path: string, errors: FieldErrors): void {
  const fields = { hosts: op.hosts, notHosts: op.notHosts, paths: op.paths, notPaths: op.notPaths, methods: op.methods, notMethods: op.notMethods };
  if (!anySet(fields, path, errors)) return;
  values(op.hosts, fieldPath(path, 'hosts'), errors, checkHostValue);
  values(op.notHosts, fieldPath(path, 'notHosts'), errors, checkHostValue);
  values(op.paths, fieldPath(path, 'paths'), errors, checkPathValue);
  values(op.notPaths, fieldPath(path, 'notPaths'), errors, checkPathValue);
  values(op.methods, fieldPath(path, 'methods'), errors, checkMethod);
  values(op.notMethods, fieldPath(path, 'notMethods'), errors, checkMethod);
}

function checkCondition(condition: Condition, path: string, errors: FieldErrors): void {
  if (condition.header === '') errors.add(fieldPath(path, 'header'), 'is required');
  else checkHeaderName(condition.header, fieldPath(path, 'header'), errors);
  if (condition.values.length === 0 && condition.notValues.length === 0) errors.add(path, 'needs values or notValues');
  values(condition.values, fieldPath(path, 'values'), errors, checkHeaderValue);
  values(condition.notValues, fieldPath(path, 'notValues'), errors, checkHeaderValue);
}

/** An entry with every list empty would match every request by accident: refused, as Istio does. */
function anySet(fields: Record<string, readonly string[]>, path: string, errors: FieldErrors): boolean {
  if (Object.values(fields).some((l) => l.length > 0)) return true;
  errors.add(path, `must set at least one of ${Object.keys(fields).join(', ')}`);
  return false;
}

function values(list: readonly string[], path: string, errors: FieldErrors, check: Check): void {
  if (list.length > MAX_POLICY_VALUES) errors.add(path, `at most ${MAX_POLICY_VALUES} values, got ${list.length}`);
  list.slice(0, MAX_POLICY_VALUES).forEach((value, i) => {
    const at = `${path}[${i}]`;
    if (value.length > MAX_POLICY_VALUE_LENGTH) errors.add(at, `at most ${MAX_POLICY_VALUE_LENGTH} characters, got ${value.length}`);
    else check(value, at, errors);
  });
}
