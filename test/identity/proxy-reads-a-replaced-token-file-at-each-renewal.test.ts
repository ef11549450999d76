// A proxy's --bootstrap-token-file is read again at each certificate request, as a projected
// service-account token's file is rewritten by the kubelet before the token expires: with 4-second
// certificates, a proxy whose token file gets a new token, the old one then revoked, keeps renewing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TOKEN } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { stopChild } from '../support/process-guard.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { discoveryAddress, startIdentityApi } from './support/identity-fixture.js';

interface Certs {
  identity: string;
  serial: string;
}

test('a proxy whose token file gets a new token keeps renewing after the old token is revoked', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-token-swap-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const api = await startIdentityApi({ kind: 'embedded' }, { identity: { workloadCertTtlSeconds: 4 } });
  cleanup(() => api.stop());
  const newToken = async (): Promise<{ id: string; token: string }> => {
    const res = await api.request('POST', '/v1/tokens', { body: { service: 'web' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; token: string };
  };
  // Replaced in one step, as the kubelet swaps a projected token's file.
  const bootstrapFile = join(dir, 'token');
  const writeToken = (token: string): void => {
    writeFileSync(`${bootstrapFile}.tmp`, `${token}\n`, { mode: 0o600 });
    renameSync(`${bootstrapFile}.tmp`, bootstrapFile);
  };
  const adminFile = join(dir, 'admin-token');
  writeFileSync(adminFile, TEST_TOKEN, { mode: 0o600 });
  const first = await newToken();
  writeToken(first.token);

  const proxy = new SluiceProcess(['proxy', '--control-plane', discoveryAddress(api), '--node-id', 'web-1', '--service', 'web', '--token-file', adminFile,
    '--bootstrap-token-file', bootstrapFile, '--workers', '1', '--admin-listen', '127.0.0.1:0', '--state-dir', join(dir, 'state')]);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  const admin = (await proxy.waitFor(/sluice proxy: admin on (http:\/\/\S+)/, 20_000))[1]!;
  const certs = async (): Promise<Certs | undefined> => {
    const res = await fetch(`${admin}/certs`);
    return res.status === 200 ? (await res.json()) as Certs : undefined;
  };
  const initial = await until(() => `a certificate in /certs:\n${proxy.stdout}\n${proxy.stderr}`, certs, 20_000);
  assert.equal(initial.identity, 'spiffe://sluice.local/svc/web');

  const second = await newToken();
  writeToken(second.token);
  assert.equal((await api.delete(`/v1/tokens/${first.id}`)).status, 200);
  // Renewals come about every two seconds; two new serials after the revocation were obtained with the new token.
  const serials = new Set<string>();
  const revokedAt = await certs();
  await until(() => `two renewals after the old token was revoked:\n${proxy.stderr}`, async () => {
    const now = await certs();
    if (now !== undefined && now.serial !== revokedAt?.serial) serials.add(now.serial);
    return serials.size >= 2 || undefined;
  }, 20_000, 200);
  assert.doesNotMatch(proxy.stderr, /cannot obtain a workload certificate/, 'no renewal was refused');
});
