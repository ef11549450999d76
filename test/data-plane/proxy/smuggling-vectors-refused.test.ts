// Every request-smuggling vector in the table → 400 and the connection closed, and nothing reaches
// the upstream. Also: an upstream answering with ambiguous framing → 502, never passed on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-http.js';

const H = 'Host: web.test\r\n';
const VECTORS: Array<[name: string, raw: string]> = [
  ['Content-Length with Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding with Content-Length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`],
  ['two differing Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde`],
  ['two equal Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd`],
  ['Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 4, 4\r\n\r\nabcd`],
  ['negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
  ['Content-Length with a plus sign', `POST / HTTP/1.1\r\n${H}Content-Length: +4\r\n\r\nabcd`],
  ['hex Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x4\r\n\r\nabcd`],
  ['bad chunk size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
  ['chunk size overflow', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nabc\r\n0\r\n\r\n`],
  ['chunk size with a space', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`],
  ['chunk data longer than its size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n`],
  ['chunk lines ended by bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n`],
  ['obs-fold header continuation', `GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`],
  ['obs-fold on Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`],
  ['space before the colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding not ending in chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`],
  ['unknown Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding twice', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding in HTTP/1.0', `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['two Host headers', `GET / HTTP/1.1\r\nHost: web.test\r\nHost: evil.test\r\n\r\n`],
  ['no Host header in HTTP/1.1', `GET / HTTP/1.1\r\n\r\n`],
  ['bare LF line endings', `GET / HTTP/1.1\nHost: web.test\n\n`],
  ['bare CR in a header value', `GET / HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n`],
  ['NUL in a header value', `GET / HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n`],
  ['space in a header name', `GET / HTTP/1.1\r\n${H}X A: b\r\n\r\n`],
  ['unknown HTTP version', `GET / HTTP/1.2\r\n${H}\r\n`],
  ['request target that is not a path', `GET foo HTTP/1.1\r\n${H}\r\n`],
];

test('every request-smuggling vector is answered 400 and the connection closed; none reaches the upstream', async (t) => {
  const upstream = await startUpstream();
  const mesh = await startMesh(yamlDocs(clusterYaml('web', ['{{up}}']), catchAllRouteYaml('web', 'web')), { up: upstream.port });
  t.after(async () => {
    await mesh.close();
    await upstream.close();
  });
  const results = await Promise.all(VECTORS.map(([, raw]) => rawRequest(mesh.port(), raw, 2000)));
  VECTORS.forEach(([name], i) => {
    const r = results[i]!;
    assert.equal(r.status, 400, `${name}: got ${JSON.stringify(r.text.slice(0, 80))}`);
    assert.ok(r.closed, `${name}: connection left open`);
    assert.equal(r.text.match(/HTTP\/1\.1 /g)?.length, 1, `${name}: more than one response`);
  });
  assert.equal(upstream.seen.length, 0, `upstream saw ${upstream.seen.map((r) => r.url).join(', ')}`);
  // A well-formed request on the same proxy still works.
  const ok = await rawRequest(mesh.port(), `GET /fine HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 2000);
  assert.equal(ok.status, 200);
});

const BAD_RESPONSES: Array<[string, string]> = [
  ['CL and TE', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['differing CLs', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 0\r\n\r\n'],
  ['bad status line', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
];

test('an upstream answering with ambiguous framing → 502 upstream-protocol-error', async (t) => {
  let next = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end(BAD_RESPONSES[next++ % BAD_RESPONSES.length]![1]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const mesh = await startMesh(yamlDocs(clusterYaml('bad', ['{{up}}']), catchAllRouteYaml('bad', 'bad')), { up: (server.address() as AddressInfo).port });
  t.after(async () => {
    await mesh.close();
    server.close();
  });
  for (const [name] of BAD_RESPONSES) {
    const r = await rawRequest(mesh.port(), `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 2000);
    assert.equal(r.status, 502, `${name}: ${r.text.slice(0, 60)}`);
    assert.match(r.text, /x-sluice-error: upstream-protocol-error/, name);
  }
});

test('a bad chunk inside an upstream body that already started → the client connection is cut, never a clean end', async (t) => {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nabc\r\n0\r\n\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const mesh = await startMesh(yamlDocs(clusterYaml('bad', ['{{up}}']), catchAllRouteYaml('bad', 'bad')), { up: (server.address() as AddressInfo).port });
  t.after(async () => {
    await mesh.close();
    server.close();
  });
  const r = await rawRequest(mesh.port(), `GET / HTTP/1.1\r\n${H}\r\n`, 2000);
  assert.ok(r.closed, 'connection left open');
  assert.doesNotMatch(r.text, /\r\n0\r\n\r\n$/, 'the response looked complete');
});
