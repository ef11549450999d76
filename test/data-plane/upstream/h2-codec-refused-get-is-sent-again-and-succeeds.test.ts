// REFUSED_STREAM guarantees the server did nothing with the request (RFC 9113 §8.7): the exchange is
// sent again, on the same connection or another, without its owner hearing of the refusal, and the
// answer to the second stream is its answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rstStreamFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameFlag, FrameType, H2ErrorCode } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { data, poolTo, type RawFrame, RawH2Server, RecordingHandler, request, within } from './support/raw-h2-server.js';

test('a GET refused with REFUSED_STREAM is sent again transparently and succeeds', { timeout: 10_000 }, async (t) => {
  const heads: Array<{ connection: number; frame: RawFrame; fields: string[] }> = [];
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS) return;
      heads.push({ connection: conn.index, frame: f, fields: conn.requestHeaders.get(f.streamId)! });
      // The first request is refused; any later one is answered.
      if (heads.length === 1) conn.write(rstStreamFrame(f.streamId, H2ErrorCode.REFUSED_STREAM));
      else conn.write(conn.headers(f.streamId, [':status', '200']), data(f.streamId, 'second time', true));
    });
  });
  const pool = poolTo(t, server);

  const exchange = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(), h);
  await within(h.settled, 2000, 'the answer');
  assert.deepEqual(h.events, ['head 200', 'data 11', 'end'], 'the owner hears only the answer');
  assert.equal(h.body.toString(), 'second time');
  assert.equal(heads.length, 2, 'the server saw the request twice');
  const [first, second] = heads;
  assert.ok(first!.connection !== second!.connection || second!.frame.streamId > first!.frame.streamId, 'a new stream the second time');
  // Both carry the same request: the same GET, ending the stream at once.
  for (const { frame } of heads) assert.equal(frame.flags & FrameFlag.END_STREAM, FrameFlag.END_STREAM, 'HEADERS with END_STREAM (no body)');
  assert.deepEqual(second!.fields, first!.fields);
  assert.deepEqual(first!.fields.slice(0, 8), [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'upstream.test']);
  assert.equal(pool.getStats().active, 0);
});
