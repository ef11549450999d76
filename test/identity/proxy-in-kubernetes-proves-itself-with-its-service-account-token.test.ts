// The Kubernetes path with real processes: `sluice control-plane --kubernetes-jwks-file` and a `sluice
// proxy` whose --token-file and --bootstrap-token-file are both its projected service-account token
// (as the pod spec in docs/identity.md mounts it): the discovery stream is accepted for, and the
// certificate names, spiffe://sluice.local/ns/shop/sa/web. A JWKS file that is missing or not a key
// set stops the control plane with a usage error naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupStack } from '../support/cleanup-stack.js';
import { stopChild } from '../support/process-guard.js';
import { runSluice, SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { issuerKey, projectedToken, writeJwks } from './support/cluster-issuer.js';

test('a proxy presenting its projected token follows the control plane and gets a certificate for its service account', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-k8s-proxy-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const key = await issuerKey('rsa-1', 'RS256');
  const jwksFile = join(dir, 'jwks.json');
  writeJwks(jwksFile, [key]);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, await projectedToken(key, { namespace: 'shop', serviceAccount: 'web' }));

  const cp = new SluiceProcess(['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--kubernetes-jwks-file', jwksFile,
    '--kubernetes-issuer', 'https://kubernetes.default.svc.cluster.local', '--kubernetes-audience', 'sluice'], { SLUICE_TOKEN: 'admin-token-0123456789' });
  cleanup(() => cp.stop());
  const discovery = (await cp.waitFor(/"discovery":"([^"]+)"[^\n]*discovery gRPC listening/))[1]!;

  const proxy = new SluiceProcess(['proxy', '--control-plane', discovery, '--node-id', 'web-7d9f', '--token-file', tokenFile, '--bootstrap-token-file', tokenFile,
    '--workers', '1', '--admin-listen', '127.0.0.1:0', '--state-dir', join(dir, 'state')]);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  const admin = (await proxy.waitFor(/sluice proxy: admin on (http:\/\/\S+)/, 20_000))[1]!;
  const certs = await until(() => `a certificate in /certs:\n${proxy.stdout}\n${proxy.stderr}`, async () => {
    const res = await fetch(`${admin}/certs`);
    return res.status === 200 ? (await res.json()) as { identity: string } : undefined;
  }, 20_000);
  assert.equal(certs.identity, 'spiffe://sluice.local/ns/shop/sa/web');
  await cp.waitFor(/"node":"web-7d9f"[^\n]*"identity":"spiffe:\/\/sluice\.local\/ns\/shop\/sa\/web"[^\n]*proxy connected/);
  assert.doesNotMatch(proxy.stderr, /UNAUTHENTICATED/);
});

test('a JWKS file that is missing or not a key set stops the control plane with a usage error naming the flag', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-k8s-jwks-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const notJson = join(dir, 'not-json');
  writeFileSync(notJson, 'hello');
  const noKeys = join(dir, 'no-keys.json');
  writeFileSync(noKeys, '{"issuer":"x"}');
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'missing.json'), /--kubernetes-jwks-file: cannot read .*missing\.json: ENOENT/],
    [notJson, /--kubernetes-jwks-file: .*not-json is not JSON/],
    [noKeys, /--kubernetes-jwks-file: .*no-keys\.json is not a JSON Web Key Set: it needs a "keys" array/],
  ];
  for (const [file, message] of cases) {
    const run = await runSluice(['control-plane', '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--kubernetes-jwks-file', file], { env: { SLUICE_TOKEN: 'x' } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
  const orphan = await runSluice(['control-plane', '--kubernetes-audience', 'sluice'], { env: { SLUICE_TOKEN: 'x' } });
  assert.equal(orphan.code, 2, orphan.stderr);
  assert.match(orphan.stderr, /--kubernetes-issuer and --kubernetes-audience need --kubernetes-jwks-file/);
});
