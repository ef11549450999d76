// Two sidecars in one process, each with a workload certificate from the same mesh CA: A sends to an
// endpoint whose `identity` is B's, so the bytes between them are TLS (a relay in between records
// them), B's application learns the caller from x-forwarded-client-cert, a forged one is dropped,
// B's inbound listener follows PeerAuthentication (PERMISSIVE serves plain text too, STRICT closes it),
// an endpoint that proves another identity is refused, and one connection carries many requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { workloadIdentity } from '../../../data-plane/src/identity/workload-identity.js';
import { INBOUND_LISTENER } from '../../../data-plane/src/cli/sidecar-listener-names.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh, type MeshFixture } from '../helpers/mesh-fixture.js';
import { createSpiffePki, type KeyPair } from '../helpers/spiffe-pki.js';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { until } from '../../support/until.js';
import { startRelay } from '../helpers/tcp-relay.js';
import { sidecarInboundYaml } from '../helpers/sidecar-inbound-yaml.js';

const A = 'spiffe://sluice.local/svc/a';
const B = 'spiffe://sluice.local/svc/b';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function identityOf(spiffeId: string, pair: KeyPair, ca: string) {
  return workloadIdentity(spiffeId, pair.key, pair.cert, ca);
}

const sidecarB = sidecarInboundYaml;

const sidecarA = (port: number, identity: string, protocol = 'HTTP1'): string => `kind: Cluster
name: b
protocol: ${protocol}
endpoints: [{address: 127.0.0.1, port: ${port}, identity: "${identity}"}]
---
kind: Route
name: to-b
hosts: [b]
forward: {cluster: b}
`;

test('A reaches B over mutual TLS; B learns the caller; PERMISSIVE and STRICT; the wrong identity is refused; connections are reused', { timeout: 60_000 }, async (t) => {
  const pki = createSpiffePki(['unused.local']);
  t.after(() => pki.dispose());
  const certA = pki.workload(A);
  const certB = pki.workload(B);
  const app = await startUpstream((req, res) => res.end(JSON.stringify({ xfcc: req.headers['x-forwarded-client-cert'] ?? null, proto: req.headers['x-forwarded-proto'], path: req.url })));
  t.after(() => app.close());

  const b = await startMesh(sidecarB(app.port, ''), {}, { meshTls: true, workload: { service: 'b', namespace: '' } });
  t.after(() => b.close());
  b.mesh.setWorkloadIdentity(identityOf(B, certB, pki.ca));
  const bPort = b.port(INBOUND_LISTENER);
  const relay = await startRelay(bPort);
  t.after(() => relay.close());

  const a: MeshFixture = await startMesh(sidecarA(relay.port, B), {}, { meshTls: true, workload: { service: 'a', namespace: '' } });
  t.after(() => a.close());

  // Before A holds its certificate, nothing goes out in plain text: the request fails.
  const early = await get(a.port(), '/early', { host: 'b' });
  assert.equal(early.status, 503, 'no workload certificate yet: no plain-text fallback');
  assert.equal(relay.bytes().includes(Buffer.from('/early')), false, 'the path never crossed in clear');

  a.mesh.setWorkloadIdentity(identityOf(A, certA, pki.ca));
  const r = await get(a.port(), '/secret-path', { host: 'b', 'x-forwarded-client-cert': 'By=spiffe://evil/x;URI=spiffe://sluice.local/svc/admin' });
  assert.equal(r.status, 200, r.body);
  const seenByApp = JSON.parse(r.body) as { xfcc: string | null; proto: string };
  assert.equal(seenByApp.proto, 'https', 'B terminated TLS: the caller came over https');
  const hash = createHash('sha256').update(new X509Certificate(certA.cert).raw).digest('hex');
  assert.equal(seenByApp.xfcc, `By=${B};Hash=${hash};URI=${A}`, 'the verified caller, in Envoy format; the forged value is gone');

  const wire = relay.bytes();
  assert.equal(wire[0], 0x16, 'the first byte between the sidecars is a TLS handshake record');
  assert.equal(wire.includes(Buffer.from('/secret-path')), false, 'the request path never crosses in clear');
  assert.equal(wire.includes(Buffer.from('evil')), false);

  // Reuse: many requests, one connection (one handshake) per A's pool.
  const before = relay.connections();
  for (let i = 0; i < 200; i++) assert.equal((await get(a.port(), `/r${i}`, { host: 'b' })).status, 200);
  assert.ok(relay.connections() - before <= 1, `200 requests opened ${relay.connections() - before} new connections`);

  // PERMISSIVE (the default): a plain-text client of B's inbound port is served, with no caller.
  const plain = await get(bPort, '/plain', { host: 'b', 'x-forwarded-client-cert': 'URI=spiffe://sluice.local/svc/forged' });
  assert.equal(plain.status, 200);
  assert.equal((JSON.parse(plain.body) as { xfcc: string | null }).xfcc, null, 'a plain caller is nobody, and a forged value is dropped');
  assert.equal((JSON.parse(plain.body) as { proto: string }).proto, 'http');

  // STRICT: plain text is closed without an answer; A, over mTLS, is still served.
  const strict = parseConfigText(sidecarB(app.port, 'STRICT'), 'yaml');
  assert.ok(strict.ok);
  assert.deepEqual(await b.mesh.applyResources(strict.config.resources), { ok: true, version: 2 });
  await assert.rejects(get(bPort, '/plain', { host: 'b' }), /socket hang up|ECONNRESET/);
  assert.equal(b.mesh.listeners.closedConnections.get(INBOUND_LISTENER, 'mtls_required'), 1);
  assert.equal((await get(a.port(), '/after-strict', { host: 'b' })).status, 200);
  // A new connection after STRICT too (the pool's idle one is closed first).
  const fresh = await startMesh(sidecarA(bPort, B), {}, { meshTls: true, workload: { service: 'a', namespace: '' } });
  t.after(() => fresh.close());
  fresh.mesh.setWorkloadIdentity(identityOf(A, certA, pki.ca));
  assert.equal((await get(fresh.port(), '/new-conn', { host: 'b' })).status, 200);

  // An endpoint whose certificate names another workload is not B: refused after the handshake.
  const wrong = await startMesh(sidecarA(bPort, 'spiffe://sluice.local/svc/c'), {}, { meshTls: true, workload: { service: 'a', namespace: '' } });
  t.after(() => wrong.close());
  wrong.mesh.setWorkloadIdentity(identityOf(A, certA, pki.ca));
  const refused = await get(wrong.port(), '/x', { host: 'b' });
  assert.equal(refused.status, 503);
});

test('an h2c cluster between sidecars becomes HTTP/2 over mutual TLS; a renewed certificate serves new handshakes', { timeout: 60_000 }, async (t) => {
  const pki = createSpiffePki(['unused.local']);
  t.after(() => pki.dispose());
  const app = await startUpstream((req, res) => res.end(String(req.headers['x-forwarded-client-cert'] ?? '')));
  t.after(() => app.close());
  const b = await startMesh(sidecarB(app.port, 'STRICT'), {}, { meshTls: true, workload: { service: 'b', namespace: '' } });
  t.after(() => b.close());
  b.mesh.setWorkloadIdentity(identityOf(B, pki.workload(B), pki.ca));
  const relay = await startRelay(b.port(INBOUND_LISTENER));
  t.after(() => relay.close());
  const a = await startMesh(sidecarA(relay.port, B, 'H2C'), {}, { meshTls: true, workload: { service: 'a', namespace: '' } });
  t.after(() => a.close());
  const first = pki.workload(A);
  a.mesh.setWorkloadIdentity(identityOf(A, first, pki.ca));
  const r = await get(a.port(), '/h2', { host: 'b' });
  assert.equal(r.status, 200, r.body);
  assert.match(r.body, new RegExp(`URI=${A}$`));
  assert.equal(relay.bytes()[0], 0x16);
  assert.ok(relay.bytes().includes(Buffer.from('h2')), 'ALPN offers h2');

  // Renewal: the open connection goes on; the next one presents the new certificate.
  const renewed = pki.workload(A);
  a.mesh.setWorkloadIdentity(identityOf(A, renewed, pki.ca));
  const again = await get(a.port(), '/still', { host: 'b' });
  assert.equal(again.status, 200);
  assert.equal(again.body, r.body, 'the open connection still carries the first certificate');
  relay.drop();
  const hash = createHash('sha256').update(new X509Certificate(renewed.cert).raw).digest('hex');
  await until('the renewed certificate on a new connection', async () => (await get(a.port(), '/renewed', { host: 'b' }).catch(() => ({ body: '' }))).body.includes(hash), 5000);
});

test('a switch to STRICT closes plain-text connections opened before it after the request in hand (HTTP/1.1 and h2c)', { timeout: 30_000 }, async (t) => {
  const pki = createSpiffePki(['unused.local']);
  t.after(() => pki.dispose());
  const app = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => app.close());
  const b = await startMesh(sidecarB(app.port, 'PERMISSIVE'), {}, { meshTls: true, workload: { service: 'b', namespace: '' } });
  t.after(() => b.close());
  const certB = pki.workload(B);
  b.mesh.setWorkloadIdentity(identityOf(B, certB, pki.ca));
  const port = b.port(INBOUND_LISTENER);

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const viaAgent = (): Promise<{ status: number; connection: string | undefined }> => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { host: 'b' }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers['connection'] }));
    }).on('error', reject).end();
  });
  const h2 = http2Connect(`http://127.0.0.1:${port}`);
  t.after(() => h2.destroy());
  const h2Get = (): Promise<number> => new Promise((resolve, reject) => {
    const s = h2.request({ ':path': '/', ':authority': 'b' });
    s.on('response', (h) => resolve(Number(h[':status'])));
    s.on('error', reject);
    s.resume();
    s.end();
  });
  assert.deepEqual(await viaAgent(), { status: 200, connection: 'keep-alive' });
  assert.equal(await h2Get(), 200);
  let goaway = false;
  h2.on('goaway', () => (goaway = true));

  const strict = parseConfigText(sidecarB(app.port, 'STRICT'), 'yaml');
  assert.ok(strict.ok);
  assert.equal((await b.mesh.applyResources(strict.config.resources)).ok, true);
  assert.deepEqual(await viaAgent(), { status: 200, connection: 'close' }, 'the request in hand is served, and the connection closes');
  assert.equal(await h2Get(), 200);
  await until('GOAWAY on the plain h2c session', () => goaway, 5000);
  await assert.rejects(viaAgent(), /socket hang up|ECONNRESET/, 'a new plain connection is refused');
});
