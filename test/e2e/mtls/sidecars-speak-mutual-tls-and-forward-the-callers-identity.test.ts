// Two real sidecars with workload certificates from a real control plane: A (service a, outbound)
// and B (service b, inbound in front of an application that echoes its request headers). The
// endpoint of cluster mesh-b names B's SPIFFE ID, so A must reach it with mutual TLS:
// - a relay the test owns between A and B sees TLS records only (the first byte of each connection
//   is 0x16, a handshake record), never the request's path or Host;
// - `openssl s_client` to B's inbound port, with and without a mesh client certificate, is shown a
//   certificate naming spiffe://sluice.local/svc/b that verifies with the mesh trust bundle;
// - B's application receives x-forwarded-client-cert naming B, the caller's SPIFFE ID and the hash
//   of the caller's certificate; an x-forwarded-client-cert sent by a client never gets through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { meshTlsCall } from './support/mesh-tls-call.js';
import { opensslSClient } from './support/openssl-s-client.js';
import { startRecordingRelay } from './support/recording-relay.js';
import { call, SPIFFE_A, SPIFFE_B, startTwoSidecars } from './support/two-sidecars.js';
import { workloadCertificateFor } from './support/workload-certificate-for.js';

const FORGED = 'By=spiffe://sluice.local/svc/b;Hash=00;URI=spiffe://sluice.local/svc/admin';
const xfcc = (body: string): string | undefined => (JSON.parse(body) as { headers: Record<string, string> }).headers['x-forwarded-client-cert'];

test('A reaches B with mutual TLS on the wire, and B\'s application learns the caller from x-forwarded-client-cert', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream();
  cleanup(() => app.close());
  const mesh = await startTwoSidecars(cleanup, { appPort: app.port });

  // (b) Through the sidecars: B's application sees A's identity, never the client's forged header.
  const answer = await call(mesh.a.port, '/through-the-mesh', { 'x-forwarded-client-cert': FORGED });
  assert.equal(answer.status, 200, answer.body);
  const seen = xfcc(answer.body);
  assert.match(seen ?? '', new RegExp(`^By=${SPIFFE_B};Hash=[0-9a-f]{64};URI=${SPIFFE_A}$`), `x-forwarded-client-cert at B's application: ${seen}`);
  assert.ok(!seen!.includes('svc/admin'), 'the value the client sent to A is not what B sees');

  // (b) A mesh peer of our own (service c): the Hash is the SHA-256 of the certificate it presented.
  const c = await workloadCertificateFor(mesh.cp, 'c');
  const direct = await meshTlsCall(mesh.b.port, '/direct', { client: c, bundlePem: c.bundlePem, serverId: SPIFFE_B, headers: { 'x-forwarded-client-cert': FORGED } });
  assert.equal(direct.status, 200, direct.body);
  assert.equal(direct.serverUri, SPIFFE_B);
  assert.equal(xfcc(direct.body), `By=${SPIFFE_B};Hash=${c.leafSha256};URI=spiffe://sluice.local/svc/c`);
  // Plain text (PERMISSIVE, the default): no client certificate, so no x-forwarded-client-cert at all.
  const plain = await call(mesh.b.port, '/plain', { 'x-forwarded-client-cert': FORGED });
  assert.equal(plain.status, 200, plain.body);
  assert.equal(xfcc(plain.body), undefined, 'a forged header on a plain-text connection is removed');

  // (a) The bytes between the sidecars: point the endpoint at a relay that records them.
  const relay = await startRecordingRelay(mesh.b.port);
  cleanup(() => relay.close());
  await mesh.setEndpoint(relay.port);
  const secretPath = '/path-that-must-not-appear-on-the-wire-6f1d';
  for (let i = 0; i < 3; i++) {
    const r = await call(mesh.a.port, secretPath);
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).url, secretPath);
  }
  assert.ok(relay.sent.length >= 1, 'A connected through the relay');
  const wire = Buffer.concat(relay.sent);
  // The ALPN extension (type 16) listing exactly "http/1.1" (RFC 7301 §3.1): the cluster's protocol is HTTP1.
  const alpnHttp11 = Buffer.concat([Buffer.from([0x00, 0x10, 0x00, 0x0b, 0x00, 0x09, 0x08]), Buffer.from('http/1.1')]);
  for (const [i, bytes] of relay.sent.entries()) {
    assert.equal(bytes[0], 0x16, `connection ${i} starts with a TLS handshake record, not ${JSON.stringify(bytes.subarray(0, 16).toString('latin1'))}`);
    assert.notEqual(bytes.indexOf(alpnHttp11), -1, `connection ${i} offers ALPN http/1.1`);
  }
  assert.equal(wire.indexOf(secretPath), -1, 'the request path is not on the wire in clear');
  assert.equal(wire.toString('latin1').toLowerCase().indexOf('host: b'), -1, 'the Host header is not on the wire in clear');

  // (a) openssl s_client with a mesh client certificate (service c), verifying with the trust bundle.
  const withCert = await opensslSClient(mesh.b.port, ['-cert', c.chainFile, '-key', c.keyFile, '-CAfile', c.bundleFile, '-alpn', 'http/1.1']);
  assert.match(withCert.serverSan, /URI:spiffe:\/\/sluice\.local\/svc\/b\b/, withCert.output);
  assert.match(withCert.output, /Verify return code: 0 \(ok\)/, withCert.output);
  // And without one: PERMISSIVE still shows its certificate.
  const without = await opensslSClient(mesh.b.port, ['-CAfile', c.bundleFile]);
  assert.match(without.serverSan, /URI:spiffe:\/\/sluice\.local\/svc\/b\b/, without.output);
});
