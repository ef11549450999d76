// The mesh CA's private key is in the store (sealed; here with the plaintext sealer, so the key itself
// is there to look for) and nowhere else: no admin API answer, no gRPC answer, no log line at debug
// level carries it, whatever identity call is made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import type { TestApi } from '../support/api-harness.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { etcdctl } from '../support/etcdctl.js';
import { createToken, issue, refusal, startIdentityApi } from './support/identity-fixture.js';

let etcd: EtcdCluster;
let api: TestApi;

before(async () => {
  etcd = await EtcdCluster.start();
  api = await startIdentityApi({ kind: 'etcd', endpoints: etcd.endpoints });
});

after(async () => {
  await api?.stop();
  await etcd?.stop();
});

test('the CA key appears in no API answer, gRPC answer or log line', async () => {
  const stored = JSON.parse(await etcdctl(etcd.endpoints, 'get', '/sluice/identity/ca', '--print-value-only')) as { roots: Array<{ sealedKeyPem: string }> };
  const keyPem = stored.roots[0]!.sealedKeyPem;
  assert.match(keyPem, /-----BEGIN PRIVATE KEY-----/);
  // The secret part of the key (its private scalar) in every spelling it could leak in, and the PEM's
  // first line, which holds its first bytes. (The PEM's last line is the public key, in the root.)
  const d = createPrivateKey(keyPem).export({ format: 'jwk' }).d!;
  const secrets = [d, Buffer.from(d, 'base64url').toString('base64'), Buffer.from(d, 'base64url').toString('hex'), keyPem.split('\n')[1]!];

  const answers: string[] = [];
  const token = await createToken(api, 'web');
  const issued = await issue(api, token, 'spiffe://sluice.local/svc/admin');
  // The workload's own key (made by the test) aside: what the control plane answered.
  answers.push(issued.certChainPem, issued.trustBundlePem, issued.identity);
  answers.push((await refusal(issue(api, 'wrong'))).details);
  for (const path of ['/v1/tokens', '/v1/trust-bundle', '/v1/proxies', '/v1/rollout', '/readyz', '/metrics']) {
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: 'Bearer test-token-0123456789' } });
    assert.equal(res.status, 200, path);
    answers.push(await res.text());
  }
  for (const kind of ['listeners', 'routes', 'clusters', 'endpoints', 'certificates']) answers.push(JSON.stringify((await api.get(`/v1/${kind}`)).body));
  const created = await api.request('POST', '/v1/tokens', { body: { service: 'other', ttlSeconds: 60 } });
  answers.push(JSON.stringify(created.body));

  const everything = [...answers, ...api.logs].join('\n');
  assert.ok(api.logs.length > 5, 'the control plane logged at debug level');
  assert.doesNotMatch(everything, /PRIVATE KEY/);
  for (const secret of secrets) assert.ok(!everything.includes(secret), `the CA key was found in an answer or a log line: ${secret}`);
  // The tokens themselves are not logged either.
  for (const t of [token, created.body.token as string]) assert.ok(!api.logs.join('\n').includes(t), 'a bootstrap token was logged');
});

test('the store keeps only a hash of each token', async () => {
  const token = await createToken(api, 'hashed');
  const dump = await etcdctl(etcd.endpoints, 'get', '--prefix', '/sluice/identity/tokens/');
  assert.match(dump, /spiffe:\/\/sluice\.local\/svc\/hashed/);
  assert.ok(!dump.includes(token), 'the token itself is in etcd');
  assert.ok(!dump.includes(token.slice('sluice-bt-'.length)), 'the token itself is in etcd');
});
