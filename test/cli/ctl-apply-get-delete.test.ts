// `sluice ctl` against a real control plane: apply, get and delete with exit status 0, and the API's
// error text (every field error on its own line) with a non-zero status on failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { runSluice } from '../support/run-sluice.js';

let api: TestApi;
let dir: string;
before(async () => {
  api = await TestApi.start();
  dir = mkdtempSync(join(tmpdir(), 'sluice-ctl-'));
});
after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ctl = (args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runSluice(['ctl', ...args], { env: { SLUICE_SERVER: api.url, SLUICE_TOKEN: TEST_TOKEN, ...options.env }, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });

test('apply -f mesh.yaml then protocols.yaml: exit 0, one line per resource', async () => {
  const mesh = await ctl(['apply', '-f', join(EXAMPLES_DIR, 'mesh.yaml')]);
  assert.equal(mesh.code, 0, mesh.stderr);
  assert.match(mesh.stdout, /^cluster\/web created$/m);
  assert.match(mesh.stdout, /^route\/ping created$/m);
  assert.match(mesh.stdout, /^listener\/public created$/m);
  assert.match(mesh.stdout, /^revision \d+$/m);
  const protocols = await ctl(['apply', '-f', join(EXAMPLES_DIR, 'protocols.yaml')]);
  assert.equal(protocols.code, 0, protocols.stderr);
  assert.match(protocols.stdout, /^certificate\/web-local created$/m);
  const again = await ctl(['apply', '-f', join(EXAMPLES_DIR, 'mesh.yaml')]);
  assert.match(again.stdout, /^cluster\/web unchanged$/m);
});

test('apply -f invalid.yaml: exit 1, the API\'s message, and every field error on its own line', async () => {
  const res = await ctl(['apply', '-f', join(EXAMPLES_DIR, 'invalid.yaml')]);
  assert.equal(res.code, 1);
  assert.equal(res.stdout, '');
  const lines = res.stderr.trim().split('\n');
  assert.match(lines[0]!, /^error: 400 SLUICE_VALIDATION: /);
  for (const path of ['routes[Bad_Name!].name', 'routes[unknown-cluster].forward.cluster', 'routes[bad-regex].match.pathRegex', 'clusters[bad-port].endpoints[0].port', 'routes[two-actions]']) {
    assert.ok(lines.some((l) => l.startsWith(`  ${path}: `)), `${path} on its own line in:\n${res.stderr}`);
  }
});

test('apply -f security.yaml after mesh.yaml: exit 0; get lists the policies with a summary', async () => {
  const res = await ctl(['apply', '-f', join(EXAMPLES_DIR, 'security.yaml')]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^peerauthentication\/web-strict created$/m);
  assert.match(res.stdout, /^authorizationpolicy\/web-allow-frontend created$/m);
  const table = await ctl(['get', 'authorizationpolicies']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^AuthorizationPolicy\s+web-audit-writes\s+\d+\s+DENY \(dry run\) 1 rules service=web$/m);
  assert.match(table.stdout, /^AuthorizationPolicy\s+deny-admin-paths\s+\d+\s+DENY 1 rules mesh-wide$/m);
  const peer = await ctl(['get', 'peerauthentication', 'web-strict', '-o', 'yaml']);
  assert.equal(parse(peer.stdout).mode, 'STRICT');
});

test('apply -f security-invalid.yaml: exit 1 and every field error on its own line', async () => {
  const res = await ctl(['apply', '-f', join(EXAMPLES_DIR, 'security-invalid.yaml')]);
  assert.equal(res.code, 1);
  const lines = res.stderr.trim().split('\n');
  for (const path of ['peerauthentications[bad-mode].mode', 'authorizationpolicies[bad-action].action', 'authorizationpolicies[bad-principal].rules[0].from[0].principals[0]', 'authorizationpolicies[bad-method].rules[0].to[0].methods[0]']) {
    assert.ok(lines.some((l) => l.startsWith(`  ${path}: `)), `${path} on its own line in:\n${res.stderr}`);
  }
});

test('apply -f - reads YAML from stdin; a .json file goes as JSON', async () => {
  const yaml = await ctl(['apply', '-f', '-'], { stdin: 'kind: Cluster\nname: from-stdin\nendpoints:\n  - address: 127.0.0.1\n    port: 19090\n' });
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /^cluster\/from-stdin created$/m);
  const file = join(dir, 'route.json');
  writeFileSync(file, JSON.stringify({ resources: [{ kind: 'Route', name: 'from-json', hosts: ['json.local'], match: { pathPrefix: '/' }, forward: { cluster: 'from-stdin' } }] }));
  const json = await ctl(['apply', '-f', file]);
  assert.equal(json.code, 0, json.stderr);
  assert.match(json.stdout, /^route\/from-json created$/m);
});

test('get KIND lists a table; get KIND NAME -o yaml / -o json print re-appliable resources', async () => {
  const table = await ctl(['get', 'routes']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0]!, /^KIND\s+NAME\s+REVISION\s+SUMMARY$/);
  assert.ok(lines.some((l) => /^Route\s+web\s+\d+\s+web\.local,\*\.web\.local\/ -> web:90,web-canary:10$/.test(l)), table.stdout);

  const yaml = await ctl(['get', 'route', 'web', '-o', 'yaml']);
  assert.equal(yaml.code, 0, yaml.stderr);
  const doc = parse(yaml.stdout);
  assert.equal(doc.kind, 'Route');
  assert.equal(doc.name, 'web');
  assert.equal(typeof doc.revision, 'number');

  const json = await ctl(['get', 'Certificate', 'web-local', '-o', 'json']);
  const cert = JSON.parse(json.stdout);
  assert.equal(cert.privateKey, '[redacted]');

  const all = await ctl(['get', 'clusters', '-o', 'yaml']);
  const docs = parseAllDocuments(all.stdout).map((d) => d.toJS());
  assert.ok(docs.length >= 3);
  const reapplied = await ctl(['apply', '-f', '-'], { stdin: all.stdout });
  assert.equal(reapplied.code, 0, reapplied.stderr);
  assert.doesNotMatch(reapplied.stdout, /created|updated/, 'get -o yaml | apply changes nothing');
});

test('delete KIND NAME: exit 0; deleting a referenced resource: exit 1 naming the referrers', async () => {
  const refused = await ctl(['delete', 'cluster', 'web']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: 409 SLUICE_REFERENCED: /);
  assert.match(refused.stderr, /^ {2}clusters\[web\]: still referenced by routes\[web\]\.forward\.weighted\[0\]\.cluster$/m);
  assert.match(refused.stderr, /^ {2}clusters\[web\]: still referenced by routes\[api\]\.forward\.cluster$/m);

  const deleted = await ctl(['delete', 'routes', 'from-json']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /^route\/from-json deleted$/m);
  const gone = await ctl(['get', 'routes', 'from-json']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404 SLUICE_NOT_FOUND/);
});

test('a wrong token exits 1 with the 401; a missing token says how to pass one', async () => {
  const wrong = await ctl(['get', 'routes'], { env: { SLUICE_TOKEN: 'nope' } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /401 SLUICE_UNAUTHENTICATED/);
  const missing = await runSluice(['ctl', '--server', api.url, 'get', 'routes']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--token or set SLUICE_TOKEN/);
  const flags = await runSluice(['ctl', '--server', api.url, '--token', TEST_TOKEN, 'get', 'routes']);
  assert.equal(flags.code, 0, flags.stderr);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
  const fromFile = await runSluice(['ctl', '--server', api.url, '--token-file', tokenFile, 'get', 'routes']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
});

test('an unreachable server exits 1 saying so; usage errors exit 2', async () => {
  const down = await runSluice(['ctl', '--server', 'http://127.0.0.1:1', '--token', 'x', 'get', 'routes']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /cannot reach the control plane at http:\/\/127\.0\.0\.1:1/);
  for (const args of [['frobnicate'], ['apply'], ['get'], ['delete', 'route'], ['get', 'routes', '-o', 'xml'], ['apply', '-f', join(dir, 'missing.yaml')], ['get', 'routes', '--bogus']]) {
    const res = await ctl(args);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, /^sluice: /);
  }
  const help = await runSluice(['ctl', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /apply -f FILE/);
});

test('an unknown kind exits 1 with the API\'s 404 listing the kinds', async () => {
  const res = await ctl(['get', 'widgets']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /404 SLUICE_NOT_FOUND: unknown kind "widgets" \(one of certificates, clusters, endpoints, peerauthentications, authorizationpolicies, telemetries, sidecars, listeners, routes\)/);
});
