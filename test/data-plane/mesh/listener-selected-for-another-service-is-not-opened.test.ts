// A proxy serves only the Listeners whose selector picks its own --service and --namespace, even when
// its configuration holds others (a --config file shared by several proxies, or a control plane that
// should have filtered them): a listener meant for another workload is not opened, and routes bound
// to it alone serve nowhere. An empty selector picks every proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { httpAnswer } from '../../support/http-answer.js';

const config = (upstreamPort: number) => `kind: Listener
name: for-b
address: 127.0.0.1
port: 0
selector: {service: b}
---
kind: Listener
name: for-b-in-shop
address: 127.0.0.1
port: 0
selector: {service: b, namespace: shop}
---
kind: Listener
name: everyone
address: 127.0.0.1
port: 0
selector: {}
---
kind: Cluster
name: up
endpoints: [{address: 127.0.0.1, port: ${upstreamPort}}]
---
kind: Route
name: all
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: up}
`;

test('only the listeners whose selector picks this proxy are opened', async (t) => {
  const upstream = await startUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const opened = async (service: string, namespace: string): Promise<string[]> => {
    const mesh = await startMesh(config(upstream.port), {}, { workload: { service, namespace } });
    t.after(() => mesh.close());
    const names = ['for-b', 'for-b-in-shop', 'everyone'].filter((n) => mesh.mesh.listeners.address(n) !== undefined);
    for (const n of names) assert.equal((await httpAnswer(mesh.port(n), '/', { headers: { host: 'x.local' } }))?.status, 200, n);
    return names;
  };
  assert.deepEqual(await opened('a', 'shop'), ['everyone']);
  assert.deepEqual(await opened('b', 'edge'), ['for-b', 'everyone']);
  assert.deepEqual(await opened('b', 'shop'), ['for-b', 'for-b-in-shop', 'everyone']);
});
