// Certificates: the PEM parses, the key matches, the names are valid, it has not expired, and each
// use (serving, verifying clients, verifying upstreams) finds the part it needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { parseResource } from '../../proto/src/model/validate-resource.js';
import { checkChangeSet } from '../../proto/src/model/change-set.js';
import { ResourceSet } from '../../proto/src/model/resource-set.js';
import { FieldErrors } from '../../proto/src/model/field-error.js';
import { validateCertificate } from '../../proto/src/model/validate/certificate.js';
import type { Resource } from '../../proto/src/model/kinds.js';
import type { Certificate } from '../../proto/gen/sluice/v1/certificate_pb.js';
import { readExample } from '../support/examples.js';

/** web-local and api-local from protocols.yaml: real EC keys and self-signed chains. */
function exampleCertificates(): Record<string, Record<string, unknown>> {
  const parsed = parseDocuments(readExample('protocols.yaml'), 'yaml');
  assert.ok(parsed.ok);
  const out: Record<string, Record<string, unknown>> = {};
  for (const d of parsed.documents as Array<Record<string, unknown>>) if (d['kind'] === 'Certificate') out[d['name'] as string] = d;
  return out;
}

function errorsOf(doc: unknown): string[] {
  const r = parseResource(doc, 'documents[0]');
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

function resource(doc: unknown): Resource {
  const r = parseResource(doc, 'documents[0]');
  if (!r.ok) assert.fail(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.resource;
}

const certs = exampleCertificates();
const web = certs['web-local']!;
const api = certs['api-local']!;

test('a chain that does not parse and a key that is not PEM are both reported, without echoing the key', () => {
  const errors = errorsOf({ ...web, certChain: '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n', privateKey: 'secret-material' });
  assert.ok(errors.some((e) => e.startsWith('certificates[web-local].certChain: does not parse')), errors.join('\n'));
  assert.ok(errors.includes('certificates[web-local].privateKey: is not a PEM private key'), errors.join('\n'));
  assert.ok(!errors.join('\n').includes('secret-material'));
});

test("a key that belongs to another certificate is refused", () => {
  assert.deepEqual(errorsOf({ ...web, privateKey: api['privateKey'] }), ['certificates[web-local].privateKey: does not match the first certificate of certChain']);
});

test('invalid SNI names are reported each with its index', () => {
  assert.deepEqual(errorsOf({ ...web, sniNames: ['web.local', 'bad name', '*'] }), [
    'certificates[web-local].sniNames[1]: "bad name" is not a valid host: use a name like "example.com" or a wildcard like "*.example.com"',
    'certificates[web-local].sniNames[2]: "*" is not allowed here',
  ]);
});

test('an expired certificate is refused on write, with its expiry date, but not when merely loaded', () => {
  const spec = resource(web).spec as Certificate;
  const onWrite = new FieldErrors();
  validateCertificate(spec, 'certificates[web-local]', onWrite, new Date('2200-01-01T00:00:00Z'));
  assert.equal(onWrite.list.length, 1);
  assert.match(onWrite.list[0]!.message, /^expired at 2126-/);
  // A proxy loading its last good file, or a stored certificate sent again, must not be refused for
  // expiring after it was written.
  const onLoad = new FieldErrors();
  validateCertificate(spec, 'certificates[web-local]', onLoad);
  assert.deepEqual(onLoad.list, []);
});

test('a listener needs serving certificates that exist and have a chain; a client CA needs a CA bundle', () => {
  const caOnly = resource({ kind: 'Certificate', name: 'ca-only', caBundle: web['certChain'] });
  const serving = resource(web);
  const listener = (certificates: string[], clientCa = '') =>
    resource({ kind: 'Listener', name: 'tls', address: '127.0.0.1', port: 8443, protocol: 'HTTPS', tls: { certificates, ...(clientCa ? { clientCa } : {}) } });
  const set = ResourceSet.of([caOnly, serving]);
  assert.deepEqual(checkChangeSet(set, { puts: [listener(['missing'])], deletes: [] }).invalid.map((e) => `${e.path}: ${e.message}`),
    ['listeners[tls].tls.certificates[0]: unknown certificate "missing"']);
  assert.deepEqual(checkChangeSet(set, { puts: [listener(['ca-only'])], deletes: [] }).invalid.map((e) => e.path), ['listeners[tls].tls.certificates[0]']);
  assert.deepEqual(checkChangeSet(set, { puts: [listener(['web-local'], 'web-local')], deletes: [] }).invalid.map((e) => `${e.path}: ${e.message}`),
    ['listeners[tls].tls.clientCa: certificate "web-local" has no caBundle, which this use needs']);
  assert.deepEqual(checkChangeSet(set, { puts: [listener(['web-local'], 'ca-only')], deletes: [] }).invalid, []);
});

test('changing a certificate re-checks the listeners that use it', () => {
  const caOnly = resource({ kind: 'Certificate', name: 'ca-only', caBundle: web['certChain'] });
  const tls = resource({ kind: 'Listener', name: 'tls', address: '127.0.0.1', port: 8443, protocol: 'HTTPS', tls: { certificates: ['web-local'], clientCa: 'ca-only' } });
  const set = ResourceSet.of([caOnly, resource(web), tls]);
  const withoutBundle = resource({ kind: 'Certificate', name: 'ca-only', certChain: web['certChain'], privateKey: web['privateKey'] });
  assert.deepEqual(checkChangeSet(set, { puts: [withoutBundle], deletes: [] }).invalid.map((e) => e.path), ['listeners[tls].tls.clientCa']);
});
