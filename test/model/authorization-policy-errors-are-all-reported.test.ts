// AuthorizationPolicy and PeerAuthentication validation: every bad principal, pattern, method, empty
// entry and limit is reported with its field path; Istio-style globs are accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { MAX_POLICY_RULES, MAX_POLICY_VALUES } from '../../proto/src/model/validate/authorization-policy.js';

function errorsOf(doc: Record<string, unknown>): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

const policy = (rules: unknown[], extra: Record<string, unknown> = {}) => ({ kind: 'AuthorizationPolicy', name: 'p', action: 'ALLOW', rules, ...extra });

test('principals: SPIFFE IDs, "*", and one leading or trailing "*" pass; anything else is refused', () => {
  const good = ['spiffe://sluice.local/ns/shop/sa/frontend', 'spiffe://sluice.local/svc/web', '*', 'spiffe://sluice.local/ns/shop/*', '*/sa/frontend'];
  assert.deepEqual(errorsOf(policy([{ from: [{ principals: good, notPrincipals: good }] }])), []);
  const bad = ['frontend', 'spiffe://Bad Domain/x', 'spiffe://sluice.local/*/sa/x', '**', 'http://sluice.local/*', '*'.repeat(2) + 'x'];
  const errors = errorsOf(policy([{ from: [{ principals: bad }] }]));
  assert.deepEqual(errors.map((e) => e.split(':')[0]), bad.map((_, i) => `authorizationpolicies[p].rules[0].from[0].principals[${i}]`));
  assert.match(errors[0]!, /"frontend" is not a SPIFFE ID/);
});

test('to: methods from the known set, paths exact / prefix* / *suffix / *, hosts; each bad value named', () => {
  assert.deepEqual(errorsOf(policy([{ to: [{ methods: ['GET', 'CONNECT'], paths: ['/a', '/api/*', '*.json', '*'], hosts: ['web.local', '*.local', 'api.*'] }] }])), []);
  const errors = errorsOf(policy([{ to: [{ methods: ['FETCH', 'get'], notPaths: ['no-slash', '/a*b'], notHosts: ['bad host'] }] }]));
  assert.deepEqual(errors.map((e) => e.split(': ')[0]).sort(), [
    'authorizationpolicies[p].rules[0].to[0].methods[0]', 'authorizationpolicies[p].rules[0].to[0].methods[1]',
    'authorizationpolicies[p].rules[0].to[0].notHosts[0]',
    'authorizationpolicies[p].rules[0].to[0].notPaths[0]', 'authorizationpolicies[p].rules[0].to[0].notPaths[1]',
  ]);
});

test('empty from / to entries and conditions without values are refused, as Istio does', () => {
  const errors = errorsOf(policy([{ from: [{}], to: [{}], when: [{ header: 'x-a' }, { values: ['v'] }] }]));
  assert.deepEqual(errors.map((e) => e.split(': ')[0]), [
    'authorizationpolicies[p].rules[0].from[0]', 'authorizationpolicies[p].rules[0].to[0]',
    'authorizationpolicies[p].rules[0].when[0]', 'authorizationpolicies[p].rules[0].when[1].header',
  ]);
  assert.match(errors[0]!, /must set at least one of principals, notPrincipals, namespaces, notNamespaces/);
});

test('limits: too many rules and too many values per list are refused with the limit named', () => {
  const rules = Array.from({ length: MAX_POLICY_RULES + 1 }, () => ({ to: [{ paths: ['/'] }] }));
  assert.deepEqual(errorsOf(policy(rules)), [`authorizationpolicies[p].rules: at most ${MAX_POLICY_RULES} rules per policy, got ${MAX_POLICY_RULES + 1}`]);
  const paths = Array.from({ length: MAX_POLICY_VALUES + 1 }, (_, i) => `/p${i}`);
  assert.deepEqual(errorsOf(policy([{ to: [{ paths }] }])), [`authorizationpolicies[p].rules[0].to[0].paths: at most ${MAX_POLICY_VALUES} values, got ${MAX_POLICY_VALUES + 1}`]);
});

test('selectors: a bad service name and a bad namespace are both reported', () => {
  assert.deepEqual(errorsOf({ kind: 'PeerAuthentication', name: 'm', mode: 'STRICT', selector: { service: 'Web!', namespace: 'Shop_1' } }).map((e) => e.split(': ')[0]), [
    'peerauthentications[m].selector.service', 'peerauthentications[m].selector.namespace',
  ]);
  assert.deepEqual(errorsOf(policy([], { selector: { namespace: 'shop' }, action: 'DENY', dryRun: true })), []);
});
