// An Upgrade other than websocket (h2c) is served as a plain request, but node:http reads no body for
// an upgrade request: one that declares a body is refused 400 and closed, instead of being forwarded
// with a body that never comes (the exchange hung, even after the client's FIN).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

test('Upgrade: h2c with a body is refused 400 and closed; without a body it is served', async (t) => {
  const upstream = await startUpstream();
  const mesh = await startMesh(yamlDocs(clusterYaml('web', ['{{up}}']), catchAllRouteYaml('web', 'web')), { up: upstream.port });
  t.after(async () => {
    await mesh.close();
    await upstream.close();
  });
  const upgrade = 'Host: web.test\r\nConnection: upgrade\r\nUpgrade: h2c\r\n';
  for (const body of ['Content-Length: 4\r\n\r\nabcd', 'Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n']) {
    const res = await rawRequest(mesh.port(), `POST / HTTP/1.1\r\n${upgrade}${body}`, 10_000);
    assert.equal(res.status, 400, JSON.stringify(res.text));
    assert.ok(res.closed, `left open: ${JSON.stringify(res.text)}`);
    assert.match(res.text, /x-sluice-error: bad-request/i);
  }
  const plain = await rawRequest(mesh.port(), `GET / HTTP/1.1\r\n${upgrade}\r\n`, 10_000);
  assert.equal(plain.status, 200, JSON.stringify(plain.text));
  assert.ok(plain.closed);
  assert.equal(upstream.seen.length, 1, 'only the request without a body reached the upstream');
});
