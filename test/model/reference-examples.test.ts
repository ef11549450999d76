// examples/: mesh.yaml, protocols.yaml and security.yaml must validate unchanged; every document of
// invalid.yaml and security-invalid.yaml must be refused with a field path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { checkChangeSet } from '../../proto/src/model/change-set.js';
import { ResourceSet } from '../../proto/src/model/resource-set.js';
import type { FieldError } from '../../proto/src/model/field-error.js';
import type { Resource } from '../../proto/src/model/kinds.js';
import { readExample, type ExampleName } from '../support/examples.js';

function documentsOf(name: ExampleName): unknown[] {
  const parsed = parseDocuments(readExample(name), 'yaml');
  assert.ok(parsed.ok, `${name} parses as YAML`);
  return parsed.documents;
}

/** Parses and reference-checks documents against `base`; returns the resources or the errors. */
function apply(base: ResourceSet, docs: unknown[]): { resources: Resource[]; errors: FieldError[] } {
  const resources: Resource[] = [];
  const errors: FieldError[] = [];
  docs.forEach((doc, i) => {
    const r = parseResource(doc, `documents[${i}]`);
    if (r.ok) resources.push(r.resource);
    else errors.push(...r.errors);
  });
  if (errors.length === 0) errors.push(...checkChangeSet(base, { puts: resources, deletes: [] }).invalid);
  return { resources, errors };
}

test('mesh.yaml then protocols.yaml validate unchanged', () => {
  const set = new ResourceSet();
  const mesh = apply(set, documentsOf('mesh.yaml'));
  assert.deepEqual(mesh.errors, []);
  assert.equal(mesh.resources.length, 6);
  mesh.resources.forEach((r) => set.put(r));
  const protocols = apply(set, documentsOf('protocols.yaml'));
  assert.deepEqual(protocols.errors, []);
  assert.deepEqual(protocols.resources.map((r) => `${r.kind}/${r.spec.name}`), [
    'Certificate/web-local', 'Certificate/api-local', 'Listener/public-tls', 'Cluster/greeter', 'Route/greeter', 'Route/api',
  ]);
});

test('every document of invalid.yaml is refused with its field path', () => {
  const set = new ResourceSet();
  apply(set, documentsOf('mesh.yaml')).resources.forEach((r) => set.put(r));
  const expected: Array<[string, RegExp]> = [
    ['routes[Bad_Name!].name', /not a valid name/],
    ['routes[unknown-cluster].forward.cluster', /unknown cluster "does-not-exist"/],
    ['routes[bad-regex].match.pathRegex', /invalid regular expression/],
    ['clusters[bad-port].endpoints[0].port', /between 1 and 65535, got 70000/],
    ['routes[two-actions]', /only one of forward, redirect, respond/],
  ];
  const docs = documentsOf('invalid.yaml');
  assert.equal(docs.length, expected.length);
  docs.forEach((doc, i) => {
    const { errors } = apply(set, [doc]);
    const [path, message] = expected[i]!;
    assert.ok(errors.some((e) => e.path === path && message.test(e.message)), `document ${i}: expected ${path} ${message}, got ${JSON.stringify(errors)}`);
  });
});

test('security.yaml validates unchanged after mesh.yaml', () => {
  const set = new ResourceSet();
  apply(set, documentsOf('mesh.yaml')).resources.forEach((r) => set.put(r));
  const security = apply(set, documentsOf('security.yaml'));
  assert.deepEqual(security.errors, []);
  assert.deepEqual(security.resources.map((r) => `${r.kind}/${r.spec.name}`), [
    'PeerAuthentication/mesh-default', 'PeerAuthentication/web-strict',
    'AuthorizationPolicy/web-allow-frontend', 'AuthorizationPolicy/deny-admin-paths', 'AuthorizationPolicy/web-audit-writes',
  ]);
});

test('every document of security-invalid.yaml is refused with its field path', () => {
  const expected: Array<[string, RegExp]> = [
    ['peerauthentications[bad-mode].mode', /must be one of .*STRICT.*got "LOOSE"/],
    ['authorizationpolicies[bad-action].action', /must be one of ALLOW, DENY, got "MAYBE"/],
    ['authorizationpolicies[bad-principal].rules[0].from[0].principals[0]', /"frontend" is not a SPIFFE ID/],
    ['authorizationpolicies[bad-method].rules[0].to[0].methods[0]', /"FETCH" is not an HTTP method/],
  ];
  const docs = documentsOf('security-invalid.yaml');
  assert.equal(docs.length, expected.length);
  docs.forEach((doc, i) => {
    const { errors } = apply(new ResourceSet(), [doc]);
    const [path, message] = expected[i]!;
    assert.ok(errors.some((e) => e.path === path && message.test(e.message)), `document ${i}: expected ${path} ${message}, got ${JSON.stringify(errors)}`);
  });
});
