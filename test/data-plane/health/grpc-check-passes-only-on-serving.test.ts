// The gRPC health check (grpc.health.v1.Health/Check) against real grpc-js servers: SERVING passes;
// NOT_SERVING, an unknown service (NOT_FOUND), no answer within the timeout and a closed port fail,
// each with its reason; the configured service name and authority are what the server sees; over TLS
// for an H2 cluster. The proxy's checker turns the verdicts into HEALTHY and UNHEALTHY, and the control
// plane's checker targets probe the same way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { ActiveHealthChecker, type HealthTransition } from '../../../data-plane/src/upstream/health/active-health-checker.js';
import { probeEndpoint } from '../../../data-plane/src/upstream/health/probe.js';
import { checkerTargets } from '../../../control-plane/src/health/checker-targets.js';
import { createTestCa } from '../../e2e/scenario/test-certificates.js';
import { caCertificateYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { closedPort } from '../helpers/fake-upstream.js';
import { NOT_SERVING, SERVING, startGrpcHealthUpstream } from '../helpers/grpc-health-upstream.js';
import { until } from '../../support/until.js';

function resources(yaml: string): ResourceSet {
  const parsed = parseConfigText(yaml, 'yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config.resources;
}

function grpcCluster(name: string, port: number, grpcCheck: string, more = ''): string {
  return `kind: Cluster
name: ${name}
protocol: H2C
endpoints: [{address: 127.0.0.1, port: ${port}}]
healthCheck: {grpc: ${grpcCheck}, intervalMs: 300, timeoutMs: 200, healthyThreshold: 1, unhealthyThreshold: 1}
${more}`;
}

test('one probe: SERVING passes, everything else fails with its reason; the service name and authority are sent', { timeout: 20_000 }, async (t) => {
  const up = await startGrpcHealthUpstream('up', SERVING);
  t.after(() => up.close());
  up.services.add('shop.v1.Cart');
  const probe = (grpcCheck: string) => {
    const cluster = resources(grpcCluster('c', up.port, grpcCheck)).get('Cluster', 'c')!;
    return probeEndpoint('127.0.0.1', up.port, cluster.healthCheck!);
  };

  assert.deepEqual(await probe('{serviceName: shop.v1.Cart, authority: "cart.internal:9000"}'), { healthy: true, reason: 'grpc SERVING' });
  assert.deepEqual(up.checks.at(-1), { service: 'shop.v1.Cart', authority: 'cart.internal:9000' });
  assert.deepEqual(await probe('{}'), { healthy: true, reason: 'grpc SERVING' });
  assert.deepEqual(up.checks.at(-1), { service: '', authority: `127.0.0.1:${up.port}` }, 'empty: the overall health, at the endpoint\'s address');

  up.status = NOT_SERVING;
  assert.deepEqual(await probe('{serviceName: shop.v1.Cart}'), { healthy: false, reason: 'grpc NOT_SERVING' });
  assert.deepEqual(await probe('{serviceName: shop.v1.Unknown}'), { healthy: false, reason: 'grpc-status 5: unknown service' });

  up.status = 'hang';
  assert.deepEqual(await probe('{}'), { healthy: false, reason: 'timeout after 200ms' });

  const closed = await closedPort();
  const cluster = resources(grpcCluster('c', closed, '{}')).get('Cluster', 'c')!;
  assert.deepEqual(await probeEndpoint('127.0.0.1', closed, cluster.healthCheck!), { healthy: false, reason: 'connect ECONNREFUSED' });
});

test('the proxy\'s checker: a SERVING endpoint turns HEALTHY, a NOT_SERVING one UNHEALTHY, and back', { timeout: 20_000 }, async (t) => {
  const good = await startGrpcHealthUpstream('good', SERVING);
  const bad = await startGrpcHealthUpstream('bad', NOT_SERVING);
  t.after(() => { good.close(); bad.close(); });
  const latest = new Map<string, HealthTransition>();
  const checker = new ActiveHealthChecker({ onTransitions: (ts) => ts.forEach((x) => latest.set(x.cluster, x)) });
  t.after(() => checker.stop());
  checker.update(resources(`${grpcCluster('good', good.port, '{}')}\n---\n${grpcCluster('bad', bad.port, '{}')}`));

  await until(() => `good HEALTHY, bad UNHEALTHY; verdicts ${JSON.stringify([...latest.values()])}`, () => latest.get('good')?.health === Health.HEALTHY && latest.get('bad')?.health === Health.UNHEALTHY);
  assert.equal(latest.get('good')?.reason, 'grpc SERVING');
  assert.equal(latest.get('bad')?.reason, 'grpc NOT_SERVING');

  bad.status = SERVING;
  good.status = 'hang';
  await until(() => `good UNHEALTHY, bad HEALTHY; verdicts ${JSON.stringify([...latest.values()])}`, () => latest.get('good')?.health === Health.UNHEALTHY && latest.get('bad')?.health === Health.HEALTHY);
  assert.equal(latest.get('good')?.reason, 'timeout after 200ms');
});

test('over TLS for an H2 cluster, in the control plane\'s checker too', { timeout: 20_000 }, async (t) => {
  const ca = createTestCa();
  t.after(() => ca.dispose());
  const leaf = ca.issue(['grpc.test']);
  const up = await startGrpcHealthUpstream('secure', SERVING, grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(leaf.certChain), private_key: Buffer.from(leaf.privateKey) }]));
  t.after(() => up.close());
  const set = resources(yamlDocs(
    caCertificateYaml('grpc-ca', ca.caPem),
    clusterYaml('secure', [up.port], 'protocol: H2\ntls: {caCertificate: grpc-ca, sni: grpc.test}\nhealthCheck: {grpc: {serviceName: ""}, intervalMs: 1000, timeoutMs: 1000}'),
  ));
  const [target, ...more] = checkerTargets({ clusters: () => set.list('Cluster'), endpoints: () => undefined, registered: () => [], entries: () => [], certificate: (n) => set.get('Certificate', n) });
  assert.deepEqual(more, []);
  assert.ok(target?.tls !== undefined, 'the target carries the cluster\'s TLS');
  assert.deepEqual(await probeEndpoint(target.address, target.port, target.check, target.tls, target.http2), { healthy: true, reason: 'grpc SERVING' });
  // Without TLS the same server is unreachable: the TLS options are what made the probe pass.
  assert.equal((await probeEndpoint(target.address, target.port, target.check)).healthy, false);
});
