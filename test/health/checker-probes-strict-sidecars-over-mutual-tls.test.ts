// The elected control plane probes a mesh endpoint (one with an `identity`) over mutual TLS with its
// own mesh certificate, as the proxies do: a STRICT sidecar closes plain text, and a plain probe
// would mark a healthy sidecar down fleet-wide. Before the control plane holds its certificate, mesh
// endpoints are not probed at all (no verdict rather than a wrong one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../proto/gen/sluice/v1/cluster_pb.js';
import { checkerTargets } from '../../control-plane/src/health/checker-targets.js';
import { INBOUND_LISTENER } from '../../data-plane/src/cli/sidecar-listener-names.js';
import { MeshTls } from '../../data-plane/src/identity/mesh-tls.js';
import { workloadIdentity } from '../../data-plane/src/identity/workload-identity.js';
import { probeEndpoint } from '../../data-plane/src/upstream/health/probe.js';
import { startUpstream } from '../data-plane/helpers/fake-upstream.js';
import { startMesh } from '../data-plane/helpers/mesh-fixture.js';
import { sidecarInboundYaml } from '../data-plane/helpers/sidecar-inbound-yaml.js';
import { createSpiffePki } from '../data-plane/helpers/spiffe-pki.js';

const B = 'spiffe://sluice.local/svc/b';
const CONTROL_PLANE = 'spiffe://sluice.local/control-plane';

test('a STRICT sidecar is probed over mutual TLS once the control plane holds its certificate', async (t) => {
  const pki = createSpiffePki(['unused.local']);
  t.after(() => pki.dispose());
  const app = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => app.close());
  const b = await startMesh(sidecarInboundYaml(app.port, 'STRICT'), {}, { meshTls: true, workload: { service: 'b', namespace: '' } });
  t.after(() => b.close());
  const bCert = pki.workload(B);
  b.mesh.setWorkloadIdentity(workloadIdentity(B, bCert.key, bCert.cert, pki.ca));
  const port = b.port(INBOUND_LISTENER);

  const healthCheck = { check: { case: 'http' as const, value: { path: '/healthz', host: '', expectedStatuses: [] } }, timeoutMs: 2000 };
  const cluster = create(ClusterSchema, { name: 'b', healthCheck });
  const meshTls = new MeshTls(true);
  const inputs = {
    clusters: () => [cluster],
    endpoints: () => undefined,
    registered: () => [{ address: '127.0.0.1', port, health: 0, identity: B }],
    entries: () => [],
    certificate: () => undefined,
    meshTls,
  };
  assert.deepEqual(checkerTargets(inputs), [], 'no certificate yet: the mesh endpoint is not probed');

  const cpCert = pki.workload(CONTROL_PLANE);
  meshTls.set(workloadIdentity(CONTROL_PLANE, cpCert.key, cpCert.cert, pki.ca));
  const [target] = checkerTargets(inputs);
  assert.ok(target?.tls !== undefined, 'a mesh endpoint is probed over TLS');
  assert.deepEqual(await probeEndpoint(target.address, target.port, target.check, target.tls), { healthy: true, reason: 'http 200' });
  const plain = await probeEndpoint(target.address, target.port, target.check);
  assert.equal(plain.healthy, false, 'a plain probe of a STRICT sidecar fails');
});
