// A WebSocket upgrade pipelined behind a request whose answer is still pending closes the connection;
// the proxy process stays up and serves the next connection. (Answering it tried to assign a second
// response to the socket: ERR_HTTP_SOCKET_ASSIGNED, uncaught, ended the process.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startProxyInFrontOfUpstream } from '../helpers/proxy-in-front-of-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

const UPGRADE = 'GET /chat HTTP/1.1\r\nHost: web.test\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n';

test('an upgrade pipelined behind a pending request: the connection closes, the proxy stays up', async (t) => {
  const { proxy, port } = await startProxyInFrontOfUpstream(t, (up) => yamlDocs(
    clusterYaml('web', [up]),
    'kind: Route\nname: ping\nhosts: ["*"]\nmatch: {pathExact: /ping}\nrespond: {status: 200, body: pong}',
    catchAllRouteYaml('web', 'web'),
    listenerYaml('main'),
    ));
    const before = [
    'GET /slow HTTP/1.1\r\nHost: web.test\r\n\r\n',
    'OPTIONS /ping HTTP/1.1\r\nHost: web.test\r\nContent-Length: 4\r\n\r\nabcd',
    'PATCH /? HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdOPTIONS /ping HTTP/1.1\r\nHost: web.test\r\nContent-Length: 4\r\n\r\nabcd',
    ];
    for (const first of before) {
    const res = await rawRequest(port, first + UPGRADE, 5000);
    assert.ok(res.closed, `connection left open after ${JSON.stringify(first)}: ${JSON.stringify(res.text.slice(0, 200))}`);
    const good = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n', 5000);
    assert.equal(good.status, 200, `after ${JSON.stringify(first)}: ${proxy.output().slice(-1500)}`);
    }
    assert.equal(proxy.child.exitCode, null, proxy.output());
});
