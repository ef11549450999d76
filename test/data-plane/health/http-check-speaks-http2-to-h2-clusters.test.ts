// gRPC servers and other HTTP/2-only upstreams (clusters of protocol H2C or H2) do not answer
// HTTP/1.1: an HTTP health check must reach them with HTTP/2, as the proxy's traffic does, or every
// endpoint of such a cluster would be judged UNHEALTHY. Both checkers (the proxy's, the control
// plane's) take the protocol from the cluster.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSecureServer, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { ActiveHealthChecker, type HealthTransition } from '../../../data-plane/src/upstream/health/active-health-checker.js';
import { probeEndpoint } from '../../../data-plane/src/upstream/health/probe.js';
import { checkerTargets } from '../../../control-plane/src/health/checker-targets.js';
import { createTestCa } from '../../e2e/scenario/test-certificates.js';

test('an HTTP check over HTTP/2 for H2C and H2 clusters, in both checkers', { timeout: 20_000 }, async (t) => {
  const h2c = createServer((req, res) => res.end(req.url === '/healthz' ? 'ok' : 'no'));
  await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => h2c.close(() => resolve())));
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const leaf = ca.issue(['h2.test']);
  const h2 = createSecureServer({ cert: leaf.certChain, key: leaf.privateKey }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => h2.close(() => resolve())));
  const h2cPort = (h2c.address() as AddressInfo).port;
  const h2Port = (h2.address() as AddressInfo).port;

  const parsed = parseConfigText(`kind: Certificate
name: h2-ca
caBundle: ${JSON.stringify(ca.caPem)}
---
kind: Cluster
name: grpc
protocol: H2C
endpoints: [{address: 127.0.0.1, port: ${h2cPort}}]
healthCheck: {http: {path: /healthz}, intervalMs: 1000, timeoutMs: 1000, healthyThreshold: 1}
---
kind: Cluster
name: secure
protocol: H2
tls: {caCertificate: h2-ca, sni: h2.test}
endpoints: [{address: 127.0.0.1, port: ${h2Port}}]
healthCheck: {http: {path: /healthz}, intervalMs: 1000, timeoutMs: 1000, healthyThreshold: 1}
`, 'yaml');
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const set = parsed.config.resources;

  // The proxy's checker: both endpoints come out HEALTHY.
  const seen = new Map<string, HealthTransition>();
  const decided = new Promise<void>((resolve) => {
    const checker = new ActiveHealthChecker({
      onTransitions: (ts) => {
        for (const x of ts) seen.set(x.cluster, x);
        if (seen.size === 2) resolve();
      },
    });
    t.after(() => checker.stop());
    checker.update(set);
  });
  await decided;
  assert.equal(seen.get('grpc')?.health, Health.HEALTHY, `grpc: ${seen.get('grpc')?.reason}`);
  assert.equal(seen.get('secure')?.health, Health.HEALTHY, `secure: ${seen.get('secure')?.reason}`);

  // The control plane's checker: its targets say HTTP/2, and the probe with them passes.
  const targets = checkerTargets({ clusters: () => set.list('Cluster'), endpoints: () => undefined, registered: () => [], entries: () => [], certificate: (n) => set.get('Certificate', n) });
  for (const target of targets) {
    assert.equal(target.http2, true, target.cluster);
    assert.deepEqual(await probeEndpoint(target.address, target.port, target.check, target.tls, target.http2), { healthy: true, reason: 'http 200' }, target.cluster);
  }
  // And HTTP/1.1 to the h2c-only server fails: the reason the protocol matters.
  const grpc = targets.find((x) => x.cluster === 'grpc')!;
  assert.equal((await probeEndpoint(grpc.address, grpc.port, grpc.check, undefined, false)).healthy, false);
});
