// At a listener's connection cap, a new client is admitted by closing a connection that serves no
// request (an idle keep-alive one here), as nginx reuses its "reusable" connections; when every
// connection is serving a request, the new one is closed at once and counted, and the requests in
// flight finish. The cap's default comes from the process's RLIMIT_NOFILE.
import assert from 'node:assert/strict';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { downstreamConnectionBudget, openFilesLimit, RESERVED_FDS } from '../../../data-plane/src/proxy/fd-budget.js';
import { DEFAULT_LISTENER_LIMITS } from '../../../data-plane/src/proxy/listener-context.js';
import { until } from '../../support/until.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const CAP = 4;

function get(port: number, path: string, agent: Agent | false): Promise<{ status: number; body: string; socketPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socketPort: req.socket?.localPort ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the default connection cap is the process\'s share of RLIMIT_NOFILE', () => {
  assert.equal(openFilesLimit('Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \n'), 1024);
  assert.equal(openFilesLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  assert.equal(downstreamConnectionBudget(1024), (1024 - RESERVED_FDS) / 2);
  assert.equal(downstreamConnectionBudget(64), 16);
  assert.equal(DEFAULT_LISTENER_LIMITS.maxConnections, downstreamConnectionBudget(openFilesLimit()));
});

test('at the cap an idle keep-alive connection is reclaimed for a new client; with every connection busy the new one is refused', async (t) => {
  const held: Array<() => void> = [];
  const upstream = await startUpstream((req, res) => {
    req.resume();
    if (req.url === '/hold') held.push(() => res.end('released'));
    else res.end('ok');
  });
  t.after(() => upstream.close());
  const mesh = await startMesh(yamlDocs(
    clusterYaml('web', ['{{up}}']),
    catchAllRouteYaml('web', 'web'),
    listenerYaml('main', 0, `limits: {maxConnections: ${CAP}}`),
    ), { up: upstream.port });
    t.after(() => mesh.close());
    const port = mesh.port();
    const closedTotal = async (reason: string): Promise<number> =>
    Number(new RegExp(`sluice_proxy_downstream_connections_closed_total\\{listener="main",reason="${reason}"\\} (\\d+)`).exec(await mesh.mesh.metrics.registry.metrics())?.[1] ?? 0);

    // CAP keep-alive connections, each idle after one request.
    const agents = Array.from({ length: CAP }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    t.after(() => agents.forEach((a) => a.destroy()));
    for (const a of agents) assert.equal((await get(port, '/warm', a)).status, 200);
    assert.equal(await mesh.mesh.listeners.connectionCount(), CAP);

    // A new client: served, the least recently used idle connection was closed for it.
    const fresh = await get(port, '/new', false);
    assert.equal(fresh.status, 200);
    assert.equal(await closedTotal('reclaimed'), 1);
    await until('the reclaimed connection gone', async () => ((await mesh.mesh.listeners.connectionCount()) <= CAP ? true : undefined), 3000);

    // CAP requests in flight on CAP connections: nothing can be reclaimed.
    const busy = Array.from({ length: CAP }, () => get(port, '/hold', false));
    await until('every held request at the upstream', () => (held.length === CAP ? true : undefined), 5000);
    const refused = await new Promise<{ closed: boolean; bytes: number; ms: number }>((resolve) => {
    const start = performance.now();
    const socket = connect(port, '127.0.0.1');
    let bytes = 0;
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => {});
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    socket.on('close', () => resolve({ closed: true, bytes, ms: performance.now() - start }));
    });
    assert.equal(refused.bytes, 0, 'a refused connection gets no answer');
    assert.ok(refused.ms < 1000, `closed at once (${refused.ms.toFixed(0)} ms)`);
    assert.equal(await closedTotal('refused'), 1);

    for (const release of held) release();
    for (const r of await Promise.all(busy)) assert.equal(r.body, 'released');
});
