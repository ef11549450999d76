// An HTTP health check of a mesh endpoint goes the way traffic does, over mutual TLS as the endpoint's
// identity: a STRICT sidecar, which closes plain-text connections, is found healthy; probed in plain
// text it would be marked down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../../proto/gen/sluice/v1/endpoints_pb.js';
import { INBOUND_LISTENER } from '../../../data-plane/src/cli/sidecar-listener-names.js';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { MeshTls } from '../../../data-plane/src/identity/mesh-tls.js';
import { workloadIdentity } from '../../../data-plane/src/identity/workload-identity.js';
import { ActiveHealthChecker, type HealthTransition } from '../../../data-plane/src/upstream/health/active-health-checker.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { createSpiffePki } from '../helpers/spiffe-pki.js';
import { until } from '../../support/until.js';
import { sidecarInboundYaml } from '../helpers/sidecar-inbound-yaml.js';

const A = 'spiffe://sluice.local/svc/a';
const B = 'spiffe://sluice.local/svc/b';

test('an HTTP check of a STRICT sidecar passes over mutual TLS and fails in plain text', { timeout: 30_000 }, async (t) => {
  const pki = createSpiffePki(['unused.local']);
  t.after(() => pki.dispose());
  const app = await startUpstream((req, res) => res.end(req.url));
  t.after(() => app.close());
  const b = await startMesh(sidecarInboundYaml(app.port, 'STRICT'), {}, { meshTls: true, workload: { service: 'b', namespace: '' } });
  t.after(() => b.close());
  const bCert = pki.workload(B);
  b.mesh.setWorkloadIdentity(workloadIdentity(B, bCert.key, bCert.cert, pki.ca));

  const parsed = parseConfigText(`kind: Cluster
name: b
healthCheck: {http: {path: /healthz}, intervalMs: 500, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1}
endpoints: [{address: 127.0.0.1, port: ${b.port(INBOUND_LISTENER)}, identity: "${B}"}]
`, 'yaml');
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.errors));
  const verdict = async (meshTls: MeshTls | undefined): Promise<HealthTransition> => {
    const seen: HealthTransition[] = [];
    const checker = new ActiveHealthChecker({ onTransitions: (ts) => seen.push(...ts), ...(meshTls ? { meshTls } : {}) });
    try {
      checker.update(parsed.config.resources);
      return await until('a verdict', () => seen.find((s) => s.cause === 'probe'), 10_000);
    } finally {
      checker.stop();
    }
  };
  const mesh = new MeshTls(true);
  const aCert = pki.workload(A);
  mesh.set(workloadIdentity(A, aCert.key, aCert.cert, pki.ca));
  const overMtls = await verdict(mesh);
  assert.equal(overMtls.health, Health.HEALTHY, overMtls.reason);
  const plain = await verdict(undefined);
  assert.equal(plain.health, Health.UNHEALTHY, 'a plain-text probe is refused by STRICT');
});
