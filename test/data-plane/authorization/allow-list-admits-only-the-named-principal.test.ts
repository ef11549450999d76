// AuthorizationPolicy enforced on a TLS listener that verifies client certificates, with real
// certificates made by openssl: an ALLOW list admits only the SPIFFE ID it names (HTTP/1.1 and
// HTTP/2), a caller without a certificate is no principal, a DENY policy with a header condition,
// a dry-run policy that counts but never denies, and an update applied on a live connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { Client } from 'undici';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { formatFieldErrors } from '../../../proto/src/model/field-error.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { createSpiffePki, pemBlock, type KeyPair } from '../helpers/spiffe-pki.js';

const FRONTEND = 'spiffe://sluice.local/ns/shop/sa/frontend';
const BATCH = 'spiffe://sluice.local/ns/jobs/sa/batch';

const POLICIES = `kind: AuthorizationPolicy
name: web-allow-frontend
selector: {service: web}
action: ALLOW
rules:
  - from: [{principals: ["${FRONTEND}"]}]
---
kind: AuthorizationPolicy
name: deny-admin-paths
action: DENY
rules:
  - to: [{paths: ["/admin/*"]}]
    when: [{header: x-internal, notValues: ["yes"]}]
---
kind: AuthorizationPolicy
name: web-audit-writes
selector: {service: web}
action: DENY
dryRun: true
rules:
  - to: [{methods: [POST, PUT, PATCH, DELETE]}]
---
kind: AuthorizationPolicy
name: not-for-web
selector: {service: api}
action: DENY
rules: [{}]
`;

function config(ca: string, server: KeyPair, upstreamPort: number, policies: string): string {
  return `kind: Certificate
name: mesh-ca
caBundle: ${pemBlock(ca)}
---
kind: Certificate
name: web-tls
certChain: ${pemBlock(server.cert)}
privateKey: ${pemBlock(server.key)}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-tls], clientCertificate: REQUEST, clientCa: mesh-ca}
---
kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Route
name: all
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: up}
---
${policies}`;
}

test('an ALLOW list admits only its principal; DENY with a header condition; dry run counts; updates apply on live connections', async (t) => {
  const pki = createSpiffePki(['web.local']);
  t.after(() => pki.dispose());
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const mesh = await startMesh(config(pki.ca, pki.server, upstream.port, POLICIES), {}, { workload: { service: 'web', namespace: 'shop' } });
  t.after(() => mesh.close());
  const port = mesh.port();

  let connects = 0;
  const client = (cert?: KeyPair) => {
    const c = new Client(`https://127.0.0.1:${port}`, { connect: { ca: pki.ca, servername: 'web.local', ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }) } });
    c.on('connect', () => connects++);
    t.after(() => c.close());
    return c;
  };
  const frontend = client(pki.client(FRONTEND));
  const batch = client(pki.client(BATCH));
  const anonymous = client();
  const call = async (c: Client, path: string, method = 'GET', headers: Record<string, string> = {}) => {
    const res = await c.request({ path, method, headers: { host: 'web.local', ...headers } });
    const body = await res.body.text();
    return `${res.statusCode} ${res.headers['x-sluice-error'] ?? body.trim()}`;
  };

  assert.equal(await call(frontend, '/'), '200 ok');
  assert.equal(await call(batch, '/'), '403 rbac-denied', 'a verified certificate with another SPIFFE ID');
  assert.equal(await call(anonymous, '/'), '403 rbac-denied', 'no client certificate: no principal');
  assert.equal(upstream.seen.length, 1, 'denied requests never reach the upstream');

  // DENY first, whatever the ALLOW list says; its `when` header condition decides.
  assert.equal(await call(frontend, '/admin/users'), '403 rbac-denied');
  assert.equal(await call(frontend, '/api/../admin/users'), '403 rbac-denied', 'dot segments do not slip past');
  assert.equal(await call(frontend, '/admin/users', 'GET', { 'x-internal': 'yes' }), '200 ok');

  // Dry run: the write goes through and is counted as would_deny.
  assert.equal(await call(frontend, '/orders', 'POST'), '200 ok');
  const metrics = await mesh.mesh.metrics.registry.metrics();
  const series = (labels: string) => Number(new RegExp(`^sluice_proxy_rbac_decisions_total\\{${labels}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
  assert.equal(series('policy="web-audit-writes",action="DENY",result="would_deny"'), 1, metrics);
  assert.equal(series('policy="deny-admin-paths",action="DENY",result="denied"'), 2, metrics);
  assert.equal(series('policy="",action="ALLOW",result="denied"'), 2, metrics);
  assert.equal(series('policy="web-allow-frontend",action="ALLOW",result="allowed"'), 2, metrics);
  assert.doesNotMatch(metrics, /not-for-web/, 'a policy selecting another service never applies here');

  // HTTP/2: the caller is read from the session's TLS socket.
  const h2 = connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: 'web.local', ...(() => { const c = pki.client(BATCH); return { cert: c.cert, key: c.key }; })() });
  t.after(() => h2.close());
  const h2Status = await new Promise<string>((resolve, reject) => {
    const s = h2.request({ ':path': '/', ':authority': 'web.local' });
    s.on('response', (h) => resolve(`${h[':status']} ${h['x-sluice-error']}`));
    s.on('error', reject);
    s.resume();
  });
  assert.equal(h2Status, '403 rbac-denied');

  // A new snapshot admits the batch job too: the same connections see it, none is dropped.
  const before = connects;
  const widened = parseConfigText(config(pki.ca, pki.server, upstream.port, POLICIES.replace(`principals: ["${FRONTEND}"]`, `principals: ["${FRONTEND}", "*/sa/batch"]`)), 'yaml');
  if (!widened.ok) assert.fail(formatFieldErrors(widened.errors));
  const applied = await mesh.mesh.applyResources(widened.config.resources);
  assert.ok(applied.ok, JSON.stringify(applied));
  assert.equal(await call(batch, '/'), '200 ok');
  assert.equal(await call(anonymous, '/'), '403 rbac-denied');
  assert.equal(await call(frontend, '/'), '200 ok');
  assert.equal(connects, before, 'no client had to reconnect');
});
