// Configuration updates without dropping anything, on an in-process mesh:
// a request in flight finishes on the snapshot it started on while new ones follow the new route; an
// unchanged cluster keeps its pooled upstream connection across an update; a removed listener stops
// accepting, answers its in-flight request with `Connection: close`, and closes once drained.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'undici';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { sleep, tryConnect } from './lifecycle-fixture.js';

const config = (target: string, ports: { a: number; b: number }, extraListener: boolean): string => `
kind: Cluster
name: a
endpoints: [{address: 127.0.0.1, port: ${ports.a}}]
---
kind: Cluster
name: b
endpoints: [{address: 127.0.0.1, port: ${ports.b}}]
---
kind: Route
name: moving
hosts: ["moving"]
forward: {cluster: ${target}}
---
kind: Route
name: steady
hosts: ["steady"]
forward: {cluster: a}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
${extraListener ? '---\nkind: Listener\nname: extra\naddress: 127.0.0.1\nport: 0\nlimits: {drainTimeoutMs: 4000}\n' : ''}`;

test('hot reload: in-flight on the old snapshot, pools kept for unchanged clusters, removed listener drains', { timeout: 30_000 }, async (t) => {
  // Each upstream answers with its name and the proxy's source port (which pooled connection).
  const handler = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    req.resume();
    const delay = req.url?.startsWith('/slow') ? 800 : 0;
    setTimeout(() => res.end(`${name} ${req.socket.remotePort}`), delay).unref();
  };
  const a = await startUpstream(handler('a'));
  const b = await startUpstream(handler('b'));
  t.after(() => a.close());
  t.after(() => b.close());
  const ports = { a: a.port, b: b.port };
  const fx = await startMesh(config('a', ports, true));
  t.after(() => fx.close());
  const apply = async (text: string): Promise<void> => {
    const parsed = parseConfigText(text, 'yaml');
    assert.ok(parsed.ok);
    const r = await fx.mesh.applyResources(parsed.config.resources);
    assert.ok(r.ok, JSON.stringify(r));
  };
  const main = new Client(`http://127.0.0.1:${fx.port()}`, { pipelining: 1 });
  t.after(() => main.close());
  const get = async (client: Client, host: string, path = '/'): Promise<{ body: string; connection: string | undefined }> => {
    const res = await client.request({ path, method: 'GET', headers: { host } });
    return { body: await res.body.text(), connection: res.headers['connection'] as string | undefined };
  };

  // An update that changes a route only: cluster a is unchanged, so its pooled connection survives.
  const steadyBefore = (await get(main, 'steady')).body;
  await apply(config('b', ports, true));
  assert.match((await get(main, 'moving')).body, /^b /);
  const steadyAfter = (await get(main, 'steady')).body;
  assert.equal(steadyAfter, steadyBefore, 'cluster a was not changed: its pooled connection must survive the update');

  const extraPort = fx.port('extra');
  const extra = new Client(`http://127.0.0.1:${extraPort}`, { pipelining: 1 });
  t.after(() => extra.close());
  const disconnected = new Promise<void>((resolve) => extra.once('disconnect', () => resolve()));
  // In flight across the next update: on the old snapshot (moving -> b) and on the listener being removed.
  const inFlight = get(new Client(`http://127.0.0.1:${fx.port()}`), 'moving', '/slow');
  const onRemoved = get(extra, 'moving', '/slow');
  await sleep(200);
  await apply(config('a', ports, false));
  const removedAt = Date.now();
  // New requests follow the new route; the request in flight finishes on its snapshot.
  assert.match((await get(main, 'moving')).body, /^a /);
  assert.match((await inFlight).body, /^b /);

  // The removed listener: no new connections, the request in flight completes and is told to leave.
  assert.equal(await tryConnect(extraPort), 'ECONNREFUSED');
  const last = await onRemoved;
  assert.match(last.body, /^b /);
  assert.equal(last.connection, 'close');
  // Drained: the proxy closed that connection after the answer, long before the 4 s drain timeout.
  await disconnected;
  const drainedMs = Date.now() - removedAt;
  assert.ok(drainedMs < 3000, `the removed listener's connection closed after ${drainedMs} ms`);
  t.diagnostic(`steady pooled connection ${steadyBefore} kept; removed listener's connection closed ${drainedMs} ms after the update`);
});
