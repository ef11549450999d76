// The mesh proxy end to end over HTTP/1.1 with real clients (curl, node:http, undici): direct
// responses, redirects, 404 for no route, header edits, rewrites, hop-by-hop removal,
// X-Forwarded-*, x-request-id and traceparent, keep-alive reuse both sides, and snapshot updates
// that keep unchanged clusters' pools.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

const run = promisify(execFile);

const CONFIG = `
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: web
hosts: ["web.local", "*.web.local"]
match: {pathPrefix: /}
forward: {cluster: web}
requestHeaders: {set: {x-mesh: sluice}, remove: [x-secret]}
responseHeaders: {add: {x-via: sluice}, remove: [x-upstream]}
---
kind: Route
name: api-v1
hosts: ["web.local"]
match: {pathPrefix: /api/v1/}
forward: {cluster: web}
rewrite: {pathPrefix: /v1/, host: internal.api}
---
kind: Route
name: old-docs
hosts: ["web.local"]
match: {pathPrefix: /docs-old/}
redirect: {pathPrefix: /docs/, status: 301}
---
kind: Route
name: ping
hosts: ["*"]
match: {pathExact: /ping, methods: [GET, HEAD]}
respond: {status: 200, body: pong, headers: {x-pong: "1"}}
`;

test('mesh proxy over HTTP/1.1: actions, edits, forwarding headers, keep-alive, snapshot updates', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();

  // curl: direct response and redirect.
  const ping = await run('curl', ['-s', '-i', `http://127.0.0.1:${port}/ping`]);
  assert.match(ping.stdout, /^HTTP\/1\.1 200/);
  assert.match(ping.stdout, /x-pong: 1/);
  assert.match(ping.stdout, /pong$/);
  const redirect = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Host: web.local', `http://127.0.0.1:${port}/docs-old/a/b?x=1`]);
  assert.equal(redirect.stdout, '301 http://web.local/docs/a/b?x=1');

  // No route: 404 with a short body that says so.
  const none = await request(`http://127.0.0.1:${port}/nothing`, { headers: { host: 'elsewhere.test' } });
  assert.equal(none.statusCode, 404);
  assert.equal(none.headers['x-sluice-error'], 'no-route');
  assert.equal(await none.body.text(), 'no route matched this request\n');

  // Forwarding: edits, hop-by-hop removal, X-Forwarded-*, request id and traceparent.
  const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  // Raw, since undici refuses to send hop-by-hop headers itself.
  const res = await rawRequest(
    port,
    `GET /app?q=1 HTTP/1.1\r\nHost: a.web.local\r\nX-Secret: s\r\nX-Keep: k\r\nConnection: keep-alive, X-Hop\r\nX-Hop: h\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n` +
      `traceparent: ${trace}\r\nx-request-id: req-123\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n`,
    500,
  );
  assert.equal(res.status, 200);
  assert.match(res.text, /x-via: sluice/);
  assert.doesNotMatch(res.text, /x-upstream/);
  // The echo answers chunked; its one chunk is the JSON.
  const seen = JSON.parse(res.text.slice(res.text.indexOf('{'), res.text.lastIndexOf('}') + 1)) as { url: string; headers: Record<string, string> };
  assert.equal(seen.url, '/app?q=1');
  assert.equal(seen.headers['host'], 'a.web.local');
  assert.equal(seen.headers['x-mesh'], 'sluice');
  assert.equal(seen.headers['x-secret'], undefined);
  assert.equal(seen.headers['x-keep'], 'k');
  assert.equal(seen.headers['x-hop'], undefined, 'a header named in Connection was forwarded');
  assert.equal(seen.headers['te'], undefined);
  assert.equal(seen.headers['keep-alive'], undefined);
  assert.equal(seen.headers['traceparent'], trace);
  assert.equal(seen.headers['x-request-id'], 'req-123');
  assert.equal(seen.headers['x-forwarded-for'], '10.1.1.1, 127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], 'a.web.local');

  // A request id is generated when the client sends none.
  const generated = (await (await request(`http://127.0.0.1:${port}/`, { headers: { host: 'web.local' } })).body.json()) as { headers: Record<string, string> };
  assert.match(generated.headers['x-request-id']!, /^[0-9a-f-]{36}$/);

  // Rewrite of the path prefix and the host.
  const rewritten = (await (await request(`http://127.0.0.1:${port}/api/v1/users?id=7`, { headers: { host: 'web.local' } })).body.json()) as { url: string; headers: Record<string, string> };
  assert.equal(rewritten.url, '/v1/users?id=7');
  assert.equal(rewritten.headers['host'], 'internal.api');

  // node:http client with a keep-alive agent: one downstream connection, one upstream connection.
  const before = mesh.mesh.snapshot!.clusters.get('web')!.peers[0]!.pool.getStats();
  const clientPorts = new Set<number>();
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve, reject) => {
      get({ port, path: `/k${i}`, headers: { host: 'web.local' }, agent }, (r) => {
        clientPorts.add(r.socket.localPort!);
        r.resume();
        r.on('end', () => resolve());
      }).on('error', reject);
    });
  }
  agent.destroy();
  assert.equal(clientPorts.size, 1, 'client connection not kept alive');
  const after = mesh.mesh.snapshot!.clusters.get('web')!.peers[0]!.pool.getStats();
  assert.ok(after.reused - before.reused >= 19, `upstream reuse went from ${before.reused} to ${after.reused}`);
  assert.ok(after.created - before.created <= 1, `opened ${after.created - before.created} upstream connections`);

  // A chunked request body within the listener's body buffer (64 KiB) is read whole, then sent with
  // its Content-Length (docs/limits.md); HEAD gets no body.
  const chunked = await rawRequest(port, 'POST /c HTTP/1.1\r\nHost: web.local\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', 2000);
  assert.equal(chunked.status, 200);
  assert.match(chunked.text, /"bytes":11/);
  assert.match(chunked.text, /"content-length":"11"/);

  // A snapshot update that leaves the cluster alone keeps its state (and so its pools).
  const cluster = mesh.mesh.snapshot!.clusters.get('web');
  const updated = parseConfigText(CONFIG.replace(/\{\{up\}\}/g, String(upstream.port)).replace('body: pong', 'body: pong2') + '\n---\nkind: Listener\nname: main\naddress: 127.0.0.1\nport: 0\n', 'yaml');
  assert.ok(updated.ok);
  const applied = await mesh.mesh.applyResources(updated.config.resources);
  assert.ok(applied.ok);
  assert.equal(mesh.mesh.snapshot!.clusters.get('web'), cluster, 'unchanged cluster was rebuilt');
  assert.equal(mesh.port(), port, 'unchanged listener was rebound');
  assert.equal(await (await request(`http://127.0.0.1:${port}/ping`)).body.text(), 'pong2');
});

test('an invalid update is refused with field paths and the previous snapshot keeps serving', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const version = mesh.mesh.snapshot!.version;
  const bad = parseConfigText(yamlDocs(catchAllRouteYaml('r', 'web', 'filters: [{name: no-such-filter}]'), clusterYaml('web', [1])), 'yaml');
  assert.ok(bad.ok);
  const result = await mesh.mesh.applyResources(bad.config.resources);
  assert.equal(result.ok, false);
  assert.match(JSON.stringify(!result.ok && result.errors), /routes\[r\]\.filters\[0\]\.name/);
  assert.equal(mesh.mesh.snapshot!.version, version);
  assert.equal(await (await request(mesh.url('/ping'))).body.text(), 'pong');
});
