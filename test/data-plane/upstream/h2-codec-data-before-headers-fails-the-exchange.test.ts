// DATA on a stream before its response HEADERS is a malformed response (RFC 9113 §8.1): the body
// must not reach the owner ahead of (or without) a head; the exchange fails as an upstream protocol
// error. (The codec used to deliver the DATA first, then the head.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { data, delay, poolTo, RawH2Server, RecordingHandler, request, within } from './support/raw-h2-server.js';

test('DATA before HEADERS fails the exchange as an upstream protocol error', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS) return;
      conn.write(data(f.streamId, 'smuggled'), conn.headers(f.streamId, [':status', '200']), data(f.streamId, 'x', true));
    });
  });
  const pool = poolTo(t, server);

  const exchange = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(), h);
  await within(h.settled, 2000, 'the exchange settling');
  await delay(50); // whatever else would come, comes
  assert.deepEqual(h.events, [`error ${ProxyErrorCode.UpstreamProtocol}`]);
  assert.equal(h.error?.code, 'SLUICE_PROXY_UPSTREAM_PROTOCOL');
  assert.equal(h.body.length, 0, 'no body delivered');
  assert.equal(pool.getStats().active, 0, 'the stream slot went back');
});
