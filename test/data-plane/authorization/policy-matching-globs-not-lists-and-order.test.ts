// The authorization matcher on its own: Istio's globs, not-lists, a caller without a principal, `when`
// conditions ANDed, DENY before ALLOW, an ALLOW list, dry-run, selectors, and the path and SAN
// parsing the rules rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { AuthorizationPolicySchema, AuthorizationPolicy_Action } from '../../../proto/gen/sluice/v1/authorization_policy_pb.js';
import type { AuthorizationPolicy } from '../../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { Authorizer, type Workload } from '../../../data-plane/src/authorization/authorizer.js';
import type { AuthzRequest } from '../../../data-plane/src/authorization/compiled-policy.js';
import { normalizePath } from '../../../data-plane/src/authorization/normalize-path.js';
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';
import { parseResource } from '../../../proto/src/model/validate-resource.js';

const FRONTEND = 'spiffe://sluice.local/ns/shop/sa/frontend';
const BATCH = 'spiffe://sluice.local/ns/jobs/sa/batch';
const WEB: Workload = { service: 'web', namespace: 'shop' };

/** A policy from its document form, validated as the control plane would. */
function policy(doc: Record<string, unknown>): AuthorizationPolicy {
  const r = parseResource({ kind: 'AuthorizationPolicy', ...doc }, 'test');
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.resource.spec as AuthorizationPolicy;
}

function req(over: Partial<Omit<AuthzRequest, 'header'>> & { headers?: Record<string, string> } = {}): AuthzRequest {
  const headers = over.headers ?? {};
  const principal = 'principal' in over ? over.principal : FRONTEND;
  return {
    principal,
    namespace: 'namespace' in over ? over.namespace : principal?.split('/ns/')[1]?.split('/')[0],
    host: over.host ?? 'web.local',
    path: over.path ?? '/',
    method: over.method ?? 'GET',
    header: (name) => headers[name],
  };
}

const result = (a: Authorizer, r: AuthzRequest) => {
  const d = a.decide(r);
  return `${d.result}:${d.policy}`;
};

test('principal globs: exact, prefix*, *suffix and * (which a caller without a principal does not match)', () => {
  const allowOnly = (principals: string[]) => new Authorizer([policy({ name: 'a', action: 'ALLOW', rules: [{ from: [{ principals }] }] })], WEB);
  assert.equal(result(allowOnly([FRONTEND]), req()), 'allowed:a');
  assert.equal(result(allowOnly([FRONTEND]), req({ principal: BATCH })), 'denied:');
  assert.equal(result(allowOnly(['spiffe://sluice.local/ns/shop/*']), req()), 'allowed:a');
  assert.equal(result(allowOnly(['spiffe://sluice.local/ns/shop/*']), req({ principal: BATCH })), 'denied:');
  assert.equal(result(allowOnly(['*/sa/batch']), req({ principal: BATCH })), 'allowed:a');
  assert.equal(result(allowOnly(['*/sa/batch']), req()), 'denied:');
  assert.equal(result(allowOnly(['*']), req()), 'allowed:a');
  assert.equal(result(allowOnly(['*']), req({ principal: undefined })), 'denied:', 'plain text has no principal, not even "*"');
});

test('not-lists: notPrincipals matches everyone else, a plain-text caller included; namespaces from the SPIFFE ID', () => {
  const deny = new Authorizer([policy({ name: 'd', action: 'DENY', rules: [{ from: [{ notPrincipals: [FRONTEND] }] }] })], WEB);
  assert.equal(result(deny, req()), 'allowed:');
  assert.equal(result(deny, req({ principal: BATCH })), 'denied:d');
  assert.equal(result(deny, req({ principal: undefined })), 'denied:d');
  const ns = new Authorizer([policy({ name: 'n', action: 'ALLOW', rules: [{ from: [{ namespaces: ['sh*'], notNamespaces: ['shop'] }] }, { from: [{ namespaces: ['jobs'] }] }] })], WEB);
  assert.equal(result(ns, req()), 'denied:', 'shop is excluded by notNamespaces');
  assert.equal(result(ns, req({ principal: BATCH })), 'allowed:n');
  assert.equal(result(ns, req({ principal: 'spiffe://sluice.local/ns/shipping/sa/x' })), 'allowed:n');
  assert.equal(result(ns, req({ principal: 'spiffe://sluice.local/svc/web' })), 'denied:', 'no /ns/ segment: no namespace');
});

test('to: methods, paths (exact, prefix, suffix), hosts case-insensitive, and their not-lists', () => {
  const a = new Authorizer([policy({ name: 'ops', action: 'ALLOW', rules: [{ to: [{ methods: ['GET', 'HEAD'], paths: ['/api/*', '/healthz', '*.json'], notPaths: ['/api/private*'], hosts: ['*.LOCAL'] }] }] })], WEB);
  assert.equal(result(a, req({ path: '/api/items' })), 'allowed:ops');
  assert.equal(result(a, req({ path: '/healthz' })), 'allowed:ops');
  assert.equal(result(a, req({ path: '/healthz/x' })), 'denied:');
  assert.equal(result(a, req({ path: '/data/x.json', method: 'HEAD' })), 'allowed:ops');
  assert.equal(result(a, req({ path: '/api/items', method: 'POST' })), 'denied:');
  assert.equal(result(a, req({ path: '/api/private/key' })), 'denied:');
  assert.equal(result(a, req({ path: '/api/items', host: 'web.example' })), 'denied:');
});

test('when: every condition must hold; notValues matches a missing header (the deny-unless pattern)', () => {
  const deny = new Authorizer([policy({ name: 'admin', action: 'DENY', rules: [{ to: [{ paths: ['/admin/*'] }], when: [{ header: 'x-internal', notValues: ['yes'] }] }] })], WEB);
  assert.equal(result(deny, req({ path: '/admin/users' })), 'denied:admin');
  assert.equal(result(deny, req({ path: '/admin/users', headers: { 'x-internal': 'no' } })), 'denied:admin');
  assert.equal(result(deny, req({ path: '/admin/users', headers: { 'x-internal': 'yes' } })), 'allowed:');
  assert.equal(result(deny, req({ path: '/public' })), 'allowed:');
  const both = new Authorizer([policy({ name: 'w', action: 'ALLOW', rules: [{ when: [{ header: 'x-a', values: ['1'] }, { header: 'X-B', values: ['v*'] }] }] })], WEB);
  assert.equal(result(both, req({ headers: { 'x-a': '1', 'x-b': 'v2' } })), 'allowed:w');
  assert.equal(result(both, req({ headers: { 'x-a': '1' } })), 'denied:', 'conditions are ANDed');
});

test('DENY first, then the ALLOW list; no ALLOW policy allows; an ALLOW policy without rules admits nobody', () => {
  const policies = [
    policy({ name: 'allow-frontend', action: 'ALLOW', rules: [{ from: [{ principals: [FRONTEND] }] }] }),
    policy({ name: 'deny-delete', action: 'DENY', rules: [{ to: [{ methods: ['DELETE'] }] }] }),
  ];
  const a = new Authorizer(policies, WEB);
  assert.equal(result(a, req({ method: 'DELETE' })), 'denied:deny-delete', 'DENY wins over a matching ALLOW');
  assert.equal(result(a, req()), 'allowed:allow-frontend');
  assert.equal(a.decide(req({ principal: BATCH })).action, 'ALLOW', 'no ALLOW policy matched: denied, reported under ALLOW');
  assert.equal(result(new Authorizer([policies[1]!], WEB), req({ principal: BATCH })), 'allowed:', 'no ALLOW policy: allowed');
  assert.equal(result(new Authorizer([policy({ name: 'nobody', action: 'ALLOW' })], WEB), req()), 'denied:');
});

test('dry run: never denies, reports would_deny with the policy; an enforced denial stays denied', () => {
  const dry = policy({ name: 'audit', action: 'DENY', dryRun: true, rules: [{ to: [{ methods: ['POST'] }] }] });
  const a = new Authorizer([dry], WEB);
  assert.equal(result(a, req({ method: 'POST' })), 'would_deny:audit');
  assert.equal(result(a, req()), 'allowed:');
  const dryAllow = new Authorizer([policy({ name: 'only-batch', action: 'ALLOW', dryRun: true, rules: [{ from: [{ principals: [BATCH] }] }] })], WEB);
  assert.equal(result(dryAllow, req()), 'would_deny:', 'a dry-run ALLOW list that would not admit the caller');
  assert.equal(result(dryAllow, req({ principal: BATCH })), 'allowed:');
  const withEnforced = new Authorizer([dry, policy({ name: 'no-post', action: 'DENY', rules: [{ to: [{ methods: ['POST'] }] }] })], WEB);
  assert.equal(result(withEnforced, req({ method: 'POST' })), 'denied:no-post');
});

test('selectors: empty is mesh-wide; service and namespace must both match when set', () => {
  const deny = (selector: Record<string, string> | undefined) => policy({ name: 'd', action: 'DENY', ...(selector ? { selector } : {}), rules: [{}] });
  assert.equal(new Authorizer([deny(undefined)], WEB).empty, false);
  assert.equal(new Authorizer([deny({ service: 'web' })], WEB).empty, false);
  assert.equal(new Authorizer([deny({ service: 'api' })], WEB).empty, true);
  assert.equal(new Authorizer([deny({ namespace: 'shop' })], WEB).empty, false);
  assert.equal(new Authorizer([deny({ service: 'web', namespace: 'other' })], WEB).empty, true);
  assert.equal(result(new Authorizer([deny({ service: 'web' })], WEB), req()), 'denied:d', 'an empty rule matches every request');
  assert.equal(AuthorizationPolicy_Action.DENY, create(AuthorizationPolicySchema, { action: AuthorizationPolicy_Action.DENY }).action);
});

test('paths are normalized before matching: dot segments and encoded unreserved characters', () => {
  assert.equal(normalizePath('/api/../admin/x'), '/admin/x');
  assert.equal(normalizePath('/api/%2e%2e/admin/x'), '/admin/x');
  assert.equal(normalizePath('/%61dmin/./x'), '/admin/x');
  assert.equal(normalizePath('/../../etc'), '/etc');
  assert.equal(normalizePath('/a/b/..'), '/a/');
  assert.equal(normalizePath('/a%2Fb'), '/a%2Fb', 'an encoded slash stays encoded');
  assert.equal(normalizePath('/v1.2/items'), '/v1.2/items');
});

test('the SPIFFE ID of a certificate: exactly one URI SAN, which must be a SPIFFE ID', () => {
  assert.equal(spiffeUri(`DNS:web.local, URI:${FRONTEND}`), FRONTEND);
  assert.equal(spiffeUri(`URI:${FRONTEND}, URI:${BATCH}`), undefined);
  assert.equal(spiffeUri('URI:https://example.com/x'), undefined);
  assert.equal(spiffeUri('DNS:web.local'), undefined);
  assert.equal(spiffeUri(undefined), undefined);
  assert.equal(spiffeUri(`DNS:"a,b", URI:${FRONTEND}`), FRONTEND);
});
