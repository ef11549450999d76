// A server may answer before the request body is done and then stop the upload with
// RST_STREAM(NO_ERROR) (RFC 9113 §8.1): the response stands. When that reset comes while the owner
// has paused the response (a slow downstream), the response's end is still owed to the owner: it
// must hear head, data and end once it resumes. (The codec used to drop the stream at the reset when
// no body was held, and the exchange then neither ended nor failed.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rstStreamFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { H2ErrorCode, FrameType } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { data, delay, poolTo, RawH2Server, RecordingHandler, request, waitUntil, within } from './support/raw-h2-server.js';

test('a paused owner gets its whole response after RST_STREAM(NO_ERROR)', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS) return;
      // The whole response, then "stop sending the body", in one segment.
      conn.write(conn.headers(f.streamId, [':status', '200']), data(f.streamId, Buffer.alloc(10, 7)), data(f.streamId, '', true), rstStreamFrame(f.streamId, H2ErrorCode.NO_ERROR));
    });
  });
  const pool = poolTo(t, server);

  const exchange = await pool.acquire();
  // The owner pauses at every chunk, as a downstream that cannot keep up.
  const h = new RecordingHandler(() => true);
  exchange.send(request(100), h);
  exchange.writeBody(Buffer.alloc(10)); // the upload is still going when the answer comes
  await waitUntil(() => h.events.length >= 2, 2000, 'the head and the first chunk');
  await delay(100); // the end and the RST_STREAM arrive while paused
  assert.deepEqual(h.events, ['head 200', 'data 10'], 'nothing more while paused');

  exchange.resumeResponse();
  await within(h.settled, 2000, 'the end of the response after resume');
  assert.deepEqual(h.events, ['head 200', 'data 10', 'end']);
  assert.deepEqual(h.body, Buffer.alloc(10, 7));
  assert.equal(pool.getStats().active, 0, 'the stream slot went back');
});
