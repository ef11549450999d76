// Automatic mutual TLS without writing Endpoints by hand: sidecar B (service b, bootstrap token)
// registers itself for cluster `b`, and the control plane hands A that endpoint with B's SPIFFE ID
// (docs/security.md: "the control plane sets it on the endpoints that sidecars register"), at B's
// inbound port (the port it bound, here from port 0), so A reaches B's application through B's
// inbound listener with mutual TLS: B's application sees x-forwarded-client-cert naming svc/a.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../../data-plane/helpers/fake-upstream.js';
import { cleanupStack } from '../../support/cleanup-stack.js';
import { until } from '../../support/until.js';
import { startMeshControlPlane } from './support/mesh-control-plane.js';
import { certified, startSidecar } from './support/sidecar-process.js';
import { call, SPIFFE_A, SPIFFE_B } from './support/two-sidecars.js';

interface DumpedEndpoint {
  address: string;
  port: number;
  identity?: string;
}

test('a registered sidecar is handed out with its SPIFFE ID and inbound port, and reached with mutual TLS', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const app = await startUpstream();
  cleanup(() => app.close());
  const cp = await startMeshControlPlane(cleanup);
  await cp.apply('kind: Cluster\nname: b\n---\nkind: Route\nname: to-b\nhosts: [b]\nmatch: {pathPrefix: /}\nforward: {cluster: b}\n');
  const [b, a] = await Promise.all([startSidecar(cp, cleanup, { service: 'b', appPort: app.port }), startSidecar(cp, cleanup, { service: 'a' })]);
  await Promise.all([certified(a), certified(b)]);

  const endpoints = async (): Promise<DumpedEndpoint[]> => {
    const dump = (await (await fetch(`${a.admin}/config_dump`)).json()) as { resources: Array<{ kind: string; name: string; endpoints?: DumpedEndpoint[] }> };
    return dump.resources.find((r) => r.kind === 'Endpoints' && r.name === 'b')?.endpoints ?? [];
  };
  const registered = await until('B\'s registration in A\'s Endpoints of b', async () => {
    const list = await endpoints();
    return list.length > 0 ? list : undefined;
  });
  assert.deepEqual(registered.map((e) => ({ address: e.address, port: e.port, identity: e.identity ?? '' })), [{ address: '127.0.0.1', port: b.port, identity: SPIFFE_B }],
    `A should reach B at its inbound port ${b.port} (not the application's ${app.port}) as ${SPIFFE_B}`);

  const answer = await call(a.port, '/registered');
  assert.equal(answer.status, 200, answer.body);
  const xfcc = (JSON.parse(answer.body) as { headers: Record<string, string> }).headers['x-forwarded-client-cert'];
  assert.match(xfcc ?? '', new RegExp(`;URI=${SPIFFE_A}$`), `x-forwarded-client-cert at B's application: ${xfcc}`);
});
