// Projected Kubernetes service-account tokens on IdentityService over real gRPC, on a control plane
// backed by real etcd and given the cluster issuer's JWKS file: a valid token (RSA or EC P-256) yields
// a certificate for spiffe://<td>/ns/<namespace>/sa/<account>; an expired token, a wrong audience or
// issuer, a key outside the set, `alg: none` or an HMAC are refused with UNAUTHENTICATED; a key added
// to the file later is accepted without a restart; bootstrap tokens keep working beside them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { TestApi } from '../support/api-harness.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { until } from '../support/until.js';
import { certificates, createToken, issue, refusal, startIdentityApi, status } from './support/identity-fixture.js';
import { AUDIENCE, ISSUER, issuerKey, projectedToken, unsecuredToken, writeJwks, type IssuerKey } from './support/cluster-issuer.js';

let etcd: EtcdCluster;
let api: TestApi;
let dir: string;
let jwksFile: string;
let rsa: IssuerKey;
let ec: IssuerKey;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-k8s-jwks-'));
  jwksFile = join(dir, 'jwks.json');
  [rsa, ec] = [await issuerKey('rsa-1', 'RS256'), await issuerKey('ec-1', 'ES256')];
  writeJwks(jwksFile, [rsa, ec]);
  etcd = await EtcdCluster.start();
  api = await startIdentityApi({ kind: 'etcd', endpoints: etcd.endpoints }, { identity: { kubernetes: { jwksFile, issuer: ISSUER, audience: AUDIENCE } } });
});

after(async () => {
  await api?.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a projected token for shop/web, RSA or EC signed, yields a certificate naming spiffe://sluice.local/ns/shop/sa/web', async () => {
  for (const key of [rsa, ec]) {
    const issued = await issue(api, await projectedToken(key, { namespace: 'shop', serviceAccount: 'web' }), 'spiffe://sluice.local/ns/kube-system/sa/admin');
    assert.equal(issued.identity, 'spiffe://sluice.local/ns/shop/sa/web', `${key.alg}: the token's identity, not the CSR's`);
    const [leaf] = certificates(issued.certChainPem);
    assert.equal(leaf!.subjectAltName, 'URI:spiffe://sluice.local/ns/shop/sa/web');
  }
});

test('the subject alone names the service account when the kubernetes.io claim is absent', async () => {
  const issued = await issue(api, await projectedToken(ec, { kubernetesClaim: false, sub: 'system:serviceaccount:billing:api' }));
  assert.equal(issued.identity, 'spiffe://sluice.local/ns/billing/sa/api');
});

test('an expired token, a wrong audience, a wrong issuer and a token naming no service account are refused with UNAUTHENTICATED', async () => {
  const cases: Record<string, Promise<string>> = {
    // Past the minute of clock skew allowed.
    expired: projectedToken(rsa, { expiresInSeconds: -120 }),
    'wrong audience': projectedToken(rsa, { aud: 'vault' }),
    'wrong issuer': projectedToken(rsa, { iss: 'https://oidc.eks.example.com/id/OTHER' }),
    'no service account': projectedToken(rsa, { kubernetesClaim: false, sub: 'alice' }),
    'claim and subject disagree': projectedToken(rsa, { sub: 'system:serviceaccount:kube-system:admin' }),
  };
  for (const [name, token] of Object.entries(cases)) {
    const refused = await refusal(issue(api, await token)).catch((err: Error) => assert.fail(`${name}: ${err.message}`));
    assert.equal(refused.code, status.UNAUTHENTICATED, `${name}: ${refused.details}`);
  }
});

test('a token signed by a key outside the set, alg none, or HMAC with a guessable secret is refused with UNAUTHENTICATED', async () => {
  // Another RSA key under the kid of one in the set: the signature does not verify.
  const impostor = { ...(await issuerKey('rsa-1', 'RS256')) };
  const unknownKid = await issuerKey('rsa-9', 'RS256');
  const hmac = await new SignJWT({ 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'web' } } })
    .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('system:serviceaccount:shop:web').setExpirationTime('1h')
    .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
  const cases: Record<string, string> = {
    'same kid, other key': await projectedToken(impostor),
    'unknown kid': await projectedToken(unknownKid),
    'alg none': unsecuredToken('rsa-1'),
    'HS256 keyed with the public key': hmac,
  };
  for (const [name, token] of Object.entries(cases)) {
    const refused = await refusal(issue(api, token)).catch((err: Error) => assert.fail(`${name}: ${err.message}`));
    assert.equal(refused.code, status.UNAUTHENTICATED, `${name}: ${refused.details}`);
  }
});

test('a key added to the JWKS file later is accepted without a restart', { timeout: 30_000 }, async () => {
  const rotated = await issuerKey('rsa-2', 'RS256');
  const token = await projectedToken(rotated, { namespace: 'shop', serviceAccount: 'cart' });
  assert.equal((await refusal(issue(api, token))).code, status.UNAUTHENTICATED, 'not in the set yet');
  writeJwks(jwksFile, [rsa, ec, rotated]);
  // The file is looked at again at most every few seconds.
  const issued = await until('the new key to be accepted', async () => {
    try {
      return await issue(api, token);
    } catch {
      return undefined;
    }
  }, 20_000, 250);
  assert.equal(issued.identity, 'spiffe://sluice.local/ns/shop/sa/cart');
  // The keys read before still verify.
  assert.equal((await issue(api, await projectedToken(ec))).identity, 'spiffe://sluice.local/ns/shop/sa/web');
});

test('bootstrap tokens keep working beside service-account tokens', async () => {
  const issued = await issue(api, await createToken(api, 'legacy'));
  assert.equal(issued.identity, 'spiffe://sluice.local/svc/legacy');
});
