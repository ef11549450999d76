// An HTTP/2 response's DATA must add up to its content-length (RFC 9113 §8.1.1). More body than
// announced would reach an HTTP/1.1 client on a keep-alive connection as the start of another
// response (response splitting); less is a truncated body passed off as whole. Either fails the
// exchange as an upstream protocol error, and no byte past the content-length is delivered. HEAD and
// 204 responses carry a content-length but no body, and are fine.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { data, delay, poolTo, type RawH2Connection, RawH2Server, RecordingHandler, request, within } from './support/raw-h2-server.js';

/** A server answering every stream with `respond`, and one exchange through it. */
async function exchangeWith(t: TestContext, method: string, respond: (conn: RawH2Connection, streamId: number) => void): Promise<RecordingHandler> {
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type === FrameType.HEADERS) respond(conn, f.streamId);
    });
  });
  const pool = poolTo(t, server);
  const exchange = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(0, method), h);
  await within(h.settled, 2000, 'the exchange settling');
  await delay(50); // anything that would still come, comes
  assert.equal(pool.getStats().active, 0, 'the stream slot went back');
  return h;
}

const PROTOCOL_ERROR = `error ${ProxyErrorCode.UpstreamProtocol}`;

test('content-length 5 with 50 bytes of DATA fails and delivers no more than 5 bytes', { timeout: 10_000 }, async (t) => {
  const h = await exchangeWith(t, 'GET', (conn, id) => {
    conn.write(conn.headers(id, [':status', '200', 'content-length', '5']), data(id, 'hello'), data(id, Buffer.alloc(45, 0x41), true));
  });
  assert.equal(h.error?.code, 'SLUICE_PROXY_UPSTREAM_PROTOCOL');
  assert.ok(h.body.length <= 5, `delivered ${h.body.length} bytes`);
  assert.equal(h.ended, false);
  assert.deepEqual(h.events, ['head 200', 'data 5', PROTOCOL_ERROR]);
});

test('content-length 5 with all 50 bytes in one DATA frame delivers none of them', { timeout: 10_000 }, async (t) => {
  const h = await exchangeWith(t, 'GET', (conn, id) => {
    conn.write(conn.headers(id, [':status', '200', 'content-length', '5']), data(id, 'hello' + 'HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\ninject!', true));
  });
  assert.deepEqual(h.events, ['head 200', PROTOCOL_ERROR]);
  assert.equal(h.body.length, 0);
});

test('content-length 10 with 5 bytes and END_STREAM fails', { timeout: 10_000 }, async (t) => {
  const h = await exchangeWith(t, 'GET', (conn, id) => {
    conn.write(conn.headers(id, [':status', '200', 'content-length', '10']), data(id, 'hello', true));
  });
  assert.equal(h.error?.code, ProxyErrorCode.UpstreamProtocol);
  assert.equal(h.ended, false, 'a short body is not passed off as whole');
  assert.deepEqual(h.events, ['head 200', 'data 5', PROTOCOL_ERROR]);
});

test('content-length 5 with exactly 5 bytes succeeds', { timeout: 10_000 }, async (t) => {
  const h = await exchangeWith(t, 'GET', (conn, id) => {
    conn.write(conn.headers(id, [':status', '200', 'content-length', '5']), data(id, 'he'), data(id, 'llo', true));
  });
  assert.deepEqual(h.events, ['head 200', 'data 2', 'data 3', 'end']);
  assert.equal(h.body.toString(), 'hello');
});

test('HEAD with a content-length and no DATA succeeds', { timeout: 10_000 }, async (t) => {
  const h = await exchangeWith(t, 'HEAD', (conn, id) => {
    conn.write(conn.headers(id, [':status', '200', 'content-length', '10'], true));
  });
  assert.deepEqual(h.events, ['head 200', 'end']);
  assert.equal(h.head?.headers.get('content-length'), '10', 'the content-length is passed on');
});

test('204 with a content-length and no DATA succeeds', { timeout: 10_000 }, async (t) => {
  const h = await exchangeWith(t, 'GET', (conn, id) => {
    conn.write(conn.headers(id, [':status', '204', 'content-length', '10'], true));
  });
  assert.deepEqual(h.events, ['head 204', 'end']);
});
