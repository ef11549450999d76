// Where policies are enforced: a sidecar judges what arrives on its inbound listener, never what its
// application sends out through the outbound one (the destination's policies judge that); a proxy
// without a sidecar inbound listener (a gateway) guards every listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INBOUND_LISTENER, OUTBOUND_LISTENER } from '../../../data-plane/src/cli/sidecar-listener-names.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { httpAnswer } from '../../support/http-answer.js';

const listeners = (names: string[]) => names.map((n) => `kind: Listener\nname: ${n}\naddress: 127.0.0.1\nport: 0\n`).join('---\n');

const config = (upstreamPort: number, names: string[]) => `${listeners(names)}---
kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Route
name: all
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: up}
---
kind: AuthorizationPolicy
name: deny-all-to-web
selector: {service: web}
action: DENY
rules: [{}]
`;

test('a sidecar guards its inbound listener only; a gateway guards every listener', async (t) => {
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const status = async (port: number) => (await httpAnswer(port, '/', { headers: { host: 'web.local' } }))?.status;

  const sidecar = await startMesh(config(upstream.port, [INBOUND_LISTENER, OUTBOUND_LISTENER]), {}, { workload: { service: 'web', namespace: '' } });
  t.after(() => sidecar.close());
  assert.equal(await status(sidecar.port(INBOUND_LISTENER)), 403);
  assert.equal(await status(sidecar.port(OUTBOUND_LISTENER)), 200);

  const gateway = await startMesh(config(upstream.port, ['public', 'admin-side']), {}, { workload: { service: 'web', namespace: '' } });
  t.after(() => gateway.close());
  assert.equal(await status(gateway.port('public')), 403);
  assert.equal(await status(gateway.port('admin-side')), 403);

  const otherService = await startMesh(config(upstream.port, ['public']), {}, { workload: { service: 'api', namespace: '' } });
  t.after(() => otherService.close());
  assert.equal(await status(otherService.port('public')), 200, 'the policy selects service web only');
});
