// Limits with clear answers: a client too slow with its headers → 408, a body over the route's or
// the listener's limit → 413 (by Content-Length before any byte is forwarded, or while streaming a
// chunked body), headers over the listener's maxHeaderBytes → 431.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

const CONFIG = `
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: small-uploads
hosts: ["*"]
match: {pathPrefix: /upload}
forward: {cluster: web}
maxRequestBodyBytes: 1000
---
kind: Route
name: web
hosts: ["*"]
forward: {cluster: web}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
limits: {maxHeaderBytes: 4096, headerTimeoutMs: 300, maxRequestBodyBytes: 100000}
`;

test('limits: 408 for slow headers, 413 for bodies over the route or listener limit, 431 for big headers', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();

  const slow = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ', 3000);
  assert.equal(slow.status, 408, slow.text);
  assert.ok(slow.closed);

  const big = await rawRequest(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(5000)}\r\n\r\n`, 2000);
  assert.equal(big.status, 431, big.text);
  assert.match(big.text, /x-sluice-error: headers-too-large/);

  const byLength = await request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: 'x'.repeat(1001) });
  assert.equal(byLength.statusCode, 413);
  assert.equal(byLength.headers['x-sluice-error'], 'body-too-large');
  await byLength.body.text();

  const underLimit = await request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: 'x'.repeat(1000) });
  assert.equal(underLimit.statusCode, 200);
  assert.equal(JSON.parse(await underLimit.body.text()).bytes, 1000);

  const listenerLimit = await request(`http://127.0.0.1:${port}/other`, { method: 'POST', body: 'x'.repeat(100_001) });
  assert.equal(listenerLimit.statusCode, 413);
  await listenerLimit.body.text();

  // Chunked: the size is known only while streaming; the proxy stops at the limit.
  const chunked = await rawRequest(port, `POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${'400\r\n' + 'y'.repeat(1024) + '\r\n'}0\r\n\r\n`, 2000);
  assert.ok(chunked.status === 413 || chunked.closed, chunked.text.slice(0, 100));
  if (chunked.status !== 0) assert.equal(chunked.status, 413);

  // Expect: 100-continue with a body over the limit: 413 at once, no 100 Continue, nothing forwarded.
  const before = upstream.seen.length;
  const expect = await rawRequest(port, 'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n', 1000);
  assert.equal(expect.status, 413);
  assert.doesNotMatch(expect.text, /100 Continue/);
  assert.equal(upstream.seen.length, before);
});
