// The control plane's checker must reach an endpoint the way proxies do: a cluster with upstream TLS
// (its CA, SNI, client certificate) is probed over TLS with those settings, or a healthy HTTPS
// endpoint would be judged UNHEALTHY by the elected leader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { CertificateSchema } from '../../proto/gen/sluice/v1/certificate_pb.js';
import { ClusterSchema } from '../../proto/gen/sluice/v1/cluster_pb.js';
import { checkerTargets } from '../../control-plane/src/health/checker-targets.js';
import { probeEndpoint } from '../../data-plane/src/upstream/health/probe.js';
import { createTestCa } from '../e2e/scenario/test-certificates.js';

test('checker targets carry the cluster upstream TLS, and the probe succeeds with it', async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const leaf = ca.issue(['up.test']);
  const server = createServer({ cert: leaf.certChain, key: leaf.privateKey }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;

  const healthCheck = { check: { case: 'http' as const, value: { path: '/', host: '', expectedStatuses: [] } }, timeoutMs: 2000 };
  const withTls = create(ClusterSchema, { name: 'secure', endpoints: [{ address: '127.0.0.1', port }], tls: { caCertificate: 'up-ca', sni: 'up.test' }, healthCheck });
  const plain = create(ClusterSchema, { name: 'plain', endpoints: [{ address: '127.0.0.1', port }], healthCheck });
  const targets = checkerTargets({
    clusters: () => [withTls, plain],
    endpoints: () => undefined,
    registered: () => [],
    entries: () => [],
    certificate: (name) => (name === 'up-ca' ? create(CertificateSchema, { name, caBundle: ca.caPem }) : undefined),
  });
  const secure = targets.find((x) => x.cluster === 'secure')!;
  const cleartext = targets.find((x) => x.cluster === 'plain')!;
  assert.equal(secure.tls?.servername, 'up.test');
  assert.equal(secure.tls?.ca, ca.caPem);
  assert.equal(cleartext.tls, undefined);

  const overTls = await probeEndpoint(secure.address, secure.port, secure.check, secure.tls);
  assert.deepEqual(overTls, { healthy: true, reason: 'http 200' });
  const overCleartext = await probeEndpoint(cleartext.address, cleartext.port, cleartext.check, cleartext.tls);
  assert.equal(overCleartext.healthy, false, 'plain HTTP to an HTTPS endpoint fails, as it should');
});
