// The HTTP/2 request's pseudo-headers become an HTTP/1.1 request line and Host upstream: a CR/LF, a
// space or a userinfo in them would split or rewrite the request there (smuggling). Each such request
// is refused on its own stream and nothing of it reaches the upstream. Trailers may not end a body
// short of its content-length. And a client that makes Sluice reset its streams (a WINDOW_UPDATE of 0
// on each, "MadeYouReset") is cut off as if it reset them itself (rapid reset).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { dataFrame, getRequest, H2ErrorCode, h2ErrorName, plainBlock, RawH2Client, windowUpdateFrame } from './support/raw-h2-client.js';

const request = (method: string, path: string, authority: string): string[] => [':method', method, ':scheme', 'http', ':authority', authority, ':path', path];

const SMUGGLING: ReadonlyArray<readonly [string, string[]]> = [
  ['CR/LF in :path', request('GET', '/p1 HTTP/1.1\r\nHost: evil\r\n\r\nGET /smuggled-path', 'h2.test')],
  ['CR/LF in :method', request('GET /smuggled-method HTTP/1.1\r\nHost: evil\r\n\r\nGET', '/p3', 'h2.test')],
  ['CR/LF in :authority', request('GET', '/p5', 'h2.test\r\nx-injected: 1')],
  ['a space in :path', request('GET', '/p7 /space', 'h2.test')],
  ['a NUL in :path', request('GET', '/nul\x00x', 'h2.test')],
  ['an empty :method', request('', '/empty-method', 'h2.test')],
  ['userinfo in :authority', request('GET', '/userinfo', 'a@evil:80')],
  ['an absolute-form :path', request('GET', 'http://other.example/abs', 'h2.test')],
];

test('pseudo-headers that would split or rewrite the HTTP/1.1 request are refused per stream', { timeout: 20_000 }, async (t) => {
  const { port, upstream } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  const { failures, nextId: id } = await client.sendEachExpectingStreamRefusal(SMUGGLING);
  assert.deepEqual(failures, [], 'each wants RST_STREAM PROTOCOL_ERROR');
  assert.equal(client.goaways().length, 0, client.describe(4));
  client.write(client.headersBlock(id, plainBlock(getRequest('/normal'))));
  assert.equal((await client.waitForStreamEnd(id, 3000)).status, 200, client.describe(4));
  assert.deepEqual(upstream.seen.map((r) => r.url), ['/normal'], 'nothing of the refused requests reached the upstream');
});

test('trailers may not end a body short of its content-length', { timeout: 20_000 }, async (t) => {
  const { port, upstream } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  client.write(client.headersBlock(1, plainBlock([...request('POST', '/short', 'h2.test'), 'content-length', '300']), false));
  client.write(dataFrame(1, Buffer.alloc(100, 0x61)));
  client.write(client.headersBlock(1, plainBlock(['x-trailer', 'yes']), true));
  const o = await client.waitForStreamEnd(1, 3000);
  assert.equal(o.rstCode, H2ErrorCode.PROTOCOL_ERROR, client.describe(4));
  assert.equal(o.status, undefined);
  assert.deepEqual(upstream.seen.map((r) => r.url).filter((u) => u === '/short'), [], 'the short body never reached the upstream as a request');
});

test('a client that makes Sluice reset its streams is cut off as for rapid reset', { timeout: 20_000 }, async (t) => {
  const { port } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  // Each stream: a GET, then a WINDOW_UPDATE of 0 on it, a stream error Sluice answers with a reset.
  for (let i = 0, id = 1; i < 400 && !client.closed; i++, id += 2) {
    client.write(client.headersBlock(id, plainBlock(getRequest(`/r${i}`))), windowUpdateFrame(id, 0));
    if (i % 50 === 49) await client.roundTrip().catch(() => undefined);
  }
  const goaway = await client.waitForFrame((f) => f.type === 7 /* GOAWAY */, 5000, 'GOAWAY');
  assert.equal(h2ErrorName(goaway.payload.readUInt32BE(4)), h2ErrorName(H2ErrorCode.ENHANCE_YOUR_CALM), client.describe(4));
});
