// The opt-in TLS discovery port (--discovery-tls): the control plane serves a certificate from its own
// mesh CA for spiffe://sluice.local/control-plane and renews it; a proxy given the trust bundle
// (--control-plane-ca) follows the control plane and obtains its workload certificate over it; a
// plaintext client, or one that trusts another CA, gets nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { requestCertificate } from '../../data-plane/src/identity/certificate-client.js';
import { controlPlaneChannel } from '../../data-plane/src/identity/control-plane-credentials.js';
import { createWorkloadKey } from '../../proto/src/identity/workload-key.js';
import { TEST_TOKEN } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { freePort } from '../support/free-port.js';
import { stopChild } from '../support/process-guard.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';
import { createToken, discoveryAddress, refusal, startIdentityApi } from './support/identity-fixture.js';

/** The certificate the discovery port presents now (verification is the test's, not this probe's). */
function servedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'control-plane.sluice', rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

test('a proxy with the trust bundle follows a TLS discovery port and gets its certificate over it; others are refused', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-discovery-tls-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const api = await startIdentityApi({ kind: 'embedded' }, { identity: { discoveryTls: true, workloadCertTtlSeconds: 4 } });
  cleanup(() => api.stop());
  const other = await startIdentityApi();
  cleanup(() => other.stop());
  const bundleFile = join(dir, 'bundle.pem');
  writeFileSync(bundleFile, (await api.get('/v1/trust-bundle')).body.pem);
  const otherBundle = join(dir, 'other-bundle.pem');
  writeFileSync(otherBundle, (await other.get('/v1/trust-bundle')).body.pem);
  const address = discoveryAddress(api);
  const port = Number(address.split(':').at(-1));

  // The served certificate names the control plane and is renewed at half-life (4 s certificates).
  const first = await servedCertificate(port);
  assert.equal(first.subjectaltname, 'URI:spiffe://sluice.local/control-plane');
  await until('a renewed serving certificate', async () => (await servedCertificate(port)).serialNumber !== first.serialNumber, 15_000);

  const token = await createToken(api, 'web');
  const { csrPem } = await createWorkloadKey();
  const plaintext = await refusal(requestCertificate({ addresses: [address], token, deadlineMs: 3000 }, csrPem));
  assert.equal(plaintext.code, status.UNAVAILABLE, plaintext.details);
  const stranger = await refusal(requestCertificate({ addresses: [address], token, deadlineMs: 3000, ...controlPlaneChannel(otherBundle) }, csrPem));
  assert.equal(stranger.code, status.UNAVAILABLE, stranger.details);
  const trusted = await requestCertificate({ addresses: [address], token, ...controlPlaneChannel(bundleFile) }, csrPem);
  assert.equal(trusted.identity, 'spiffe://sluice.local/svc/web');

  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, TEST_TOKEN);
  const bootstrapFile = join(dir, 'bootstrap-token');
  writeFileSync(bootstrapFile, token);
  assert.equal((await api.apply([{ kind: 'Cluster', name: 'over-tls', endpoints: [{ address: '127.0.0.1', port: 19999 }] }])).status, 200);
  const adminPort = await freePort();
  const proxy = new SluiceProcess(['proxy', '--control-plane', address, '--node-id', 'tls-1', '--service', 'web', '--token-file', tokenFile, '--control-plane-ca', bundleFile,
    '--bootstrap-token-file', bootstrapFile, '--workers', '1', '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state')]);
  cleanup(() => stopChild(proxy.child, 0, 'SIGKILL'));
  await until(() => `the cluster over TLS discovery:\n${proxy.stdout}\n${proxy.stderr}`, async () => {
    const dump = (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as { resources: Array<{ kind: string; name: string }> };
    return dump.resources.some((r) => r.kind === 'Cluster' && r.name === 'over-tls');
  }, 20_000);
  const certs = await until('the proxy\'s certificate over TLS', async () => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/certs`);
    return res.status === 200 ? (await res.json()) as { identity: string } : undefined;
  });
  assert.equal(certs.identity, 'spiffe://sluice.local/svc/web');
  assert.doesNotMatch(proxy.stderr, /DeprecationWarning/, 'the proxy sends a TLS server name, not an IP address');
});
