// An upstream that refuses a WebSocket upgrade with an ordinary response (a 200 from a server that
// does not speak WebSocket, a 403) keeps its connection open for keep-alive. The proxy passes the
// answer on with its framing (chunked or Content-Length) and closes the client's connection when the
// answer ends (right after the head for a HEAD), instead of waiting for the upstream to close.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

const HANDSHAKE = 'GET /chat HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

test('a refused upgrade is answered with a framed response and the connection closed, whatever the upstream keeps open', async (t) => {
  // node:http with no 'upgrade' listener answers the handshake as a plain request, keep-alive.
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/chat') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('not a ');
      res.end('websocket server');
    } else {
      res.writeHead(403, { 'content-type': 'text/plain', 'content-length': '9' });
      res.end('forbidden');
    }
  });
  const mesh = await startMesh(yamlDocs(clusterYaml('web', ['{{up}}']), catchAllRouteYaml('web', 'web')), { up: upstream.port });
  t.after(async () => {
    await mesh.close();
    await upstream.close();
  });

  const chunked = await rawRequest(mesh.port(), HANDSHAKE, 10_000);
  assert.ok(chunked.closed, `the connection was left open: ${JSON.stringify(chunked.text)}`);
  assert.equal(chunked.status, 200);
  const [head, body] = chunked.text.split('\r\n\r\n', 2) as [string, string];
  assert.match(head.toLowerCase(), /\r\ntransfer-encoding: chunked\r\n/);
  assert.match(head.toLowerCase(), /\r\nconnection: close(\r\n|$)/);
  assert.equal(chunked.text.slice(head.length + 4), '6\r\nnot a \r\n10\r\nwebsocket server\r\n0\r\n\r\n', `body: ${JSON.stringify(body)}`);

  const sized = await rawRequest(mesh.port(), HANDSHAKE.replace('/chat', '/private'), 10_000);
  assert.ok(sized.closed, `the connection was left open: ${JSON.stringify(sized.text)}`);
  assert.equal(sized.status, 403);
  assert.match(sized.text.toLowerCase(), /\r\ncontent-length: 9\r\n/);
  assert.ok(sized.text.endsWith('\r\n\r\nforbidden'), JSON.stringify(sized.text));

  // The answer to a HEAD has no body: the connection closes right after its head.
  const bodiless = await rawRequest(mesh.port(), HANDSHAKE.replace('GET', 'HEAD'), 10_000);
  assert.ok(bodiless.closed, `the connection was left open: ${JSON.stringify(bodiless.text)}`);
  assert.equal(bodiless.status, 200);
  assert.ok(bodiless.text.endsWith('\r\n\r\n'), JSON.stringify(bodiless.text));
});
