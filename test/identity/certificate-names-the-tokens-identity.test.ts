// IdentityService over real gRPC on a control plane backed by real etcd: a token for one service yields
// a certificate for that service's SPIFFE ID only, whatever the CSR asks for; a missing or wrong token
// is refused with UNAUTHENTICATED, a bad CSR with INVALID_ARGUMENT and a message saying what is wrong.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { requestCertificate } from '../../data-plane/src/identity/certificate-client.js';
import { createWorkloadKey } from '../../proto/src/identity/workload-key.js';
import type { TestApi } from '../support/api-harness.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { certificates, createToken, discoveryAddress, issue, refusal, startIdentityApi, status } from './support/identity-fixture.js';

let etcd: EtcdCluster;
let api: TestApi;

before(async () => {
  etcd = await EtcdCluster.start();
  api = await startIdentityApi({ kind: 'etcd', endpoints: etcd.endpoints }, { identity: { workloadCertTtlSeconds: 3600 } });
});

after(async () => {
  await api?.stop();
  await etcd?.stop();
});

test("a token for service a yields a's SPIFFE ID even when the CSR asks for b", async () => {
  const token = await createToken(api, 'a');
  const issued = await issue(api, token, 'spiffe://sluice.local/svc/b');
  assert.equal(issued.identity, 'spiffe://sluice.local/svc/a');
  const [leaf, ...rest] = certificates(issued.certChainPem);
  assert.equal(rest.length, 0, 'signed by the root itself: the chain is the leaf alone');
  assert.equal(leaf!.subjectAltName, 'URI:spiffe://sluice.local/svc/a');
  assert.equal(leaf!.ca, false);
  assert.ok(leaf!.checkPrivateKey(createPrivateKey(issued.keyPem)), 'the certificate is for the key the proxy made');
  // Extended key usage: TLS server and client authentication.
  assert.deepEqual([...(leaf!.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  const lifetimeMs = Date.parse(leaf!.validTo) - Date.parse(leaf!.validFrom);
  assert.ok(Math.abs(lifetimeMs - (3600 + 60) * 1000) < 2000, `lifetime ${lifetimeMs} ms: the TTL plus a minute of backdating`);
  const roots = certificates(issued.trustBundlePem);
  assert.equal(roots.length, 1);
  assert.ok(leaf!.checkIssued(roots[0]!) && leaf!.verify(roots[0]!.publicKey), 'the leaf verifies with the trust bundle');
});

test('no token, and a wrong token, are refused with UNAUTHENTICATED', async () => {
  const { csrPem } = await createWorkloadKey();
  const none = await refusal(requestCertificate({ addresses: [discoveryAddress(api)], token: '' }, csrPem));
  assert.equal(none.code, status.UNAUTHENTICATED, none.details);
  const wrong = await refusal(requestCertificate({ addresses: [discoveryAddress(api)], token: 'sluice-bt-not-a-token' }, csrPem));
  assert.equal(wrong.code, status.UNAUTHENTICATED, wrong.details);
  // The admin token proves no workload identity either.
  const admin = await refusal(requestCertificate({ addresses: [discoveryAddress(api)], token: 'test-token-0123456789' }, csrPem));
  assert.equal(admin.code, status.UNAUTHENTICATED, admin.details);
});

test('a revoked token is refused; an expired one too', async () => {
  const created = await api.request('POST', '/v1/tokens', { body: { service: 'short' } });
  assert.equal(created.status, 201);
  assert.equal((await api.delete(`/v1/tokens/${created.body.id}`)).status, 200);
  assert.equal((await refusal(issue(api, created.body.token))).code, status.UNAUTHENTICATED);
  const expiring = await createToken(api, 'short', 1);
  await issue(api, expiring);
  // Valid for one second: refused once that second is over.
  const expired = await until('the one-second token to be refused', () => refusal(issue(api, expiring)), 5_000, 200);
  assert.equal(expired.code, status.UNAUTHENTICATED, expired.details);
});

test('a CSR that is not PEM, or whose signature does not verify, is refused with INVALID_ARGUMENT saying why', async () => {
  const token = await createToken(api, 'a');
  const address = discoveryAddress(api);
  const garbage = await refusal(requestCertificate({ addresses: [address], token }, 'hello'));
  assert.equal(garbage.code, status.INVALID_ARGUMENT);
  assert.match(garbage.details, /SLUICE_BAD_CSR: the certificate signing request is not a PEM "CERTIFICATE REQUEST"/);
  // The signature's last bytes changed: the request no longer proves its key.
  const { csrPem } = await createWorkloadKey();
  const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  der[der.length - 3]! ^= 0xff;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  const bad = await refusal(requestCertificate({ addresses: [address], token }, tampered));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /SLUICE_BAD_CSR: the certificate signing request signature does not verify/);
});

test('the refusals and issuances are counted in /metrics', async () => {
  const res = await fetch(`${api.url}/metrics`, { headers: { authorization: 'Bearer test-token-0123456789' } });
  const text = await res.text();
  assert.match(text, /^sluice_certificates_issued_total [1-9]\d*$/m);
  assert.match(text, /^sluice_certificate_requests_refused_total\{reason="unauthenticated"\} [1-9]\d*$/m);
  assert.match(text, /^sluice_certificate_requests_refused_total\{reason="bad_csr"\} [1-9]\d*$/m);
});

test('the CA signs the same root as the trust bundle the admin API shows', async () => {
  const res = await api.get('/v1/trust-bundle');
  assert.equal(res.status, 200);
  assert.equal(res.body.roots.length, 1);
  assert.equal(res.body.roots[0].signing, true);
  const root = new X509Certificate(res.body.pem);
  assert.equal(root.serialNumber.toLowerCase(), res.body.roots[0].serial.toLowerCase());
  assert.ok(root.ca);
});
