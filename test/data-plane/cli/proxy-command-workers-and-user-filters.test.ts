// `sluice proxy --config FILE --workers 2`: every worker serves the same configuration, a user
// filter module named in the Bootstrap document runs on the route that references it, the sidecar
// inbound listener forwards to --app-port, and the admin endpoints answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

test('sluice proxy with 2 workers, a user filter from the bootstrap, the sidecar inbound listener and admin', { timeout: 60_000 }, async (t) => {
  const app = await startUpstream((req, res) => res.end(`app saw ${req.url} tagged=${req.headers['x-tagged'] ?? 'no'}`));
  t.after(() => app.close());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-filter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A user filter: a module whose default export makes an HttpFilter from the route's config.
  writeFileSync(join(dir, 'tag-filter.mjs'), `export default (config) => ({
  name: 'tag',
  requestFilter(session) {
    if (session.headers.get('x-block') === 'yes') { session.respond(403, config.message + '\\n'); return true; }
    return false;
  },
  upstreamRequestFilter(_session, request) { request.headers.set('x-tagged', config.tag); },
});
`);
  const [listenPort, inboundPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const proxy = await startProxyProcess(`
kind: Bootstrap
filters:
  - name: tag
    module: ${join(dir, 'tag-filter.mjs')}
---
kind: Cluster
name: app
endpoints: [{address: 127.0.0.1, port: ${app.port}}]
---
kind: Route
name: tagged
hosts: ["*"]
forward: {cluster: app}
filters: [{name: tag, config: {tag: blue, message: blocked by the tag filter}}]
---
kind: Listener
name: public
address: 127.0.0.1
port: ${listenPort}
`, ['--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--inbound-listen', `127.0.0.1:${inboundPort}`, '--app-port', String(app.port)]);
  t.after(() => proxy.stop());

  const bodies = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const res = await request(`http://127.0.0.1:${listenPort}/x`, { reset: true });
    bodies.add(await res.body.text());
  }
  assert.deepEqual([...bodies], ['app saw /x tagged=blue']);
  const blocked = await request(`http://127.0.0.1:${listenPort}/x`, { headers: { 'x-block': 'yes' } });
  assert.equal(blocked.statusCode, 403);
  assert.equal(await blocked.body.text(), 'blocked by the tag filter\n');

  // Inbound: every request goes to the local app, whatever the host, without mesh routes' filters.
  const inbound = await request(`http://127.0.0.1:${inboundPort}/in`, { headers: { host: 'anything' } });
  assert.equal(await inbound.body.text(), 'app saw /in tagged=no');

  const ready = await request(`http://127.0.0.1:${adminPort}/ready`);
  assert.equal(ready.statusCode, 200);
  await ready.body.text();
  const dump = (await (await request(`http://127.0.0.1:${adminPort}/config_dump`)).body.json()) as { resources: Array<{ kind: string; name: string }> };
  assert.ok(dump.resources.some((r) => r.kind === 'Route' && r.name === 'tagged'));
  const metrics = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
  // One page for both workers (their series summed): 20 via the mesh route, 1 via the inbound listener.
  const served = [...metrics.matchAll(/^sluice_proxy_requests_total\{route="([^"]*)",cluster="[^"]*",status_class="2xx"\} (\d+)$/gm)];
  assert.equal(served.find((m) => m[1] === 'tagged')?.[2], '20', metrics);
  assert.equal(served.reduce((sum, m) => sum + Number(m[2]), 0), 21);
});
