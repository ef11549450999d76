// The webhook's port: HTTPS whose certificate the mesh CA issued for the Service's DNS names (what the
// API server checks against the caBundle), request bodies bounded (413), anything but a pod review
// refused with a clear error, and a port that cannot be bound stops `sluice control-plane`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { DEFAULT_WEBHOOK_MAX_BODY_BYTES } from '../../control-plane/src/injection/injection-webhook.js';
import { assertExitsOnBindFailure, holdPort } from '../support/held-port.js';
import { until } from '../support/until.js';
import { post, podReview, SERVICE_DNS_NAME, startWebhook, type Webhook } from './support/webhook-harness.js';

let webhook: Webhook;
before(async () => {
  webhook = await startWebhook();
});
after(() => webhook.stop());

/** The TLS handshake's verdict with the mesh's roots for `servername` (chain, then name), and the leaf served. */
function handshake(servername: string, ca: string, port = webhook.port): Promise<{ authorized: boolean; error: string | undefined; leaf: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const leaf = new X509Certificate(socket.getPeerCertificate().raw);
      // The host-name check a verifying client (the API server) makes after the chain verifies.
      const nameError = leaf.checkHost(servername) === undefined ? `the certificate does not name ${servername}` : undefined;
      resolve({ authorized: socket.authorized && nameError === undefined, error: socket.authorizationError?.message ?? nameError, leaf });
      socket.destroy();
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no handshake within 10 s')));
    socket.once('error', reject);
  });
}

test('the certificate chains to the mesh CA and names the Service\'s DNS names beside the control plane\'s SPIFFE ID', async () => {
  const served = await handshake(SERVICE_DNS_NAME, webhook.bundlePem);
  assert.equal(served.authorized, true, served.error);
  assert.equal(served.leaf.subjectAltName, `URI:spiffe://sluice.local/control-plane, DNS:${SERVICE_DNS_NAME}, DNS:sluice-control-plane`);
  const other = await handshake('sluice-api.sluice-system.svc', webhook.bundlePem);
  assert.equal(other.authorized, false, 'a name the certificate does not hold is refused');

  const stranger = await startWebhook();
  try {
    const foreign = await handshake(SERVICE_DNS_NAME, stranger.bundlePem);
    assert.equal(foreign.authorized, false, 'another mesh\'s roots do not verify it');
  } finally {
    await stranger.stop();
  }
});

test('the port serves each renewed certificate without a restart', { timeout: 60_000 }, async () => {
  const renewing = await startWebhook({}, 4);
  try {
    const first = await handshake(SERVICE_DNS_NAME, renewing.bundlePem, renewing.port);
    assert.equal(first.authorized, true, first.error);
    await until('a renewed certificate on the webhook port', async () => (await handshake(SERVICE_DNS_NAME, renewing.bundlePem, renewing.port)).leaf.serialNumber !== first.leaf.serialNumber, 20_000);
    const renewed = await handshake(SERVICE_DNS_NAME, renewing.bundlePem, renewing.port);
    assert.equal(renewed.authorized, true, renewed.error);
  } finally {
    await renewing.stop();
  }
});

test('a body over the limit answers 413, whether its length is declared or not', async () => {
  const big = Buffer.alloc(DEFAULT_WEBHOOK_MAX_BODY_BYTES + 1, 0x20);
  const declared = await post(webhook, big);
  assert.equal(declared.status, 413);
  assert.equal(declared.body.code, 'SLUICE_PAYLOAD_TOO_LARGE');
  const streamed = await post(webhook, big, { chunked: true });
  assert.equal(streamed.status, 413);
  assert.match(streamed.body.message, new RegExp(`larger than the limit of ${DEFAULT_WEBHOOK_MAX_BODY_BYTES} bytes \\(of the injection webhook\\)`));
  // Within the limit, the same webhook still answers (the 413 closed only that connection).
  assert.equal((await post(webhook, JSON.stringify(podReview()))).status, 200);
});

test('anything but an AdmissionReview of a pod is 400 saying what is wrong', async () => {
  const cases: [string | Buffer, RegExp][] = [
    ['{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionRev', /the body is not JSON/],
    [JSON.stringify({ ...podReview(), apiVersion: 'admission.k8s.io/v1beta1' }), /expected apiVersion admission\.k8s\.io\/v1 and kind AdmissionReview/],
    [JSON.stringify(podReview((_p, r) => delete r.request.uid)), /request\.uid is missing/],
    [JSON.stringify(podReview((_p, r) => (r.request.kind = { group: 'apps', version: 'v1', kind: 'Deployment' }))), /request\.kind must be the core v1 Pod/],
    [JSON.stringify(podReview((_p, r) => (r.request.object = { kind: 'Pod' }))), /request\.object is not a pod with spec\.containers/],
  ];
  for (const [body, message] of cases) {
    const answer = await post(webhook, body);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'SLUICE_BAD_REQUEST');
    assert.match(answer.body.message, message);
  }
  assert.equal((await post(webhook, '', { method: 'GET' })).status, 405);
  assert.equal((await post(webhook, '{}', { path: '/mutate' })).status, 404);
});

test('sluice control-plane stops when --webhook-listen cannot be bound', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-webhook-bind-'));
  const held = await holdPort();
  try {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'a-token-for-the-bind-test\n', { mode: 0o600 });
    await assertExitsOnBindFailure(['control-plane', '--token-file', tokenFile, '--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--webhook-listen', `127.0.0.1:${held.port}`], held.port, '--webhook-listen');
  } finally {
    await held.release();
    rmSync(dir, { recursive: true, force: true });
  }
});
