// A POST with a 10 KiB body refused with REFUSED_STREAM is sent again with its whole body: the body
// is kept until the response head (up to 64 KiB) for exactly this. The server must receive on the
// second stream the same bytes, all of them, in order, ending the stream; whether the body was all
// written before the refusal or partly after it.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { rstStreamFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameFlag, FrameType, H2ErrorCode } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { Http2SessionPool } from '../../../data-plane/src/upstream/http2-session-pool.js';
import type { UpstreamConnection } from '../../../data-plane/src/upstream/upstream-client.js';
import { data, poolTo, type RawH2Connection, RawH2Server, RecordingHandler, request, waitUntil, within } from './support/raw-h2-server.js';

const BODY = Buffer.alloc(10 * 1024);
for (let i = 0; i < BODY.length; i++) BODY[i] = (i * 7 + (i >> 8)) & 0xff;

interface Received {
  connection: RawH2Connection;
  streamId: number;
  fields: string[];
}

/** A server refusing the first request and answering the next once its body has ended. */
async function start(t: TestContext): Promise<{ server: RawH2Server; pool: Http2SessionPool; requests: Received[] }> {
  const requests: Received[] = [];
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type === FrameType.HEADERS) {
        requests.push({ connection: conn, streamId: f.streamId, fields: conn.requestHeaders.get(f.streamId)! });
        if (requests.length === 1) conn.write(rstStreamFrame(f.streamId, H2ErrorCode.REFUSED_STREAM));
        return;
      }
      // The answer: how many body bytes came on the stream, once its body ended.
      const accepted = requests.length > 1 && requests.at(-1)!;
      if (f.type === FrameType.DATA && accepted && accepted.connection === conn && f.streamId === accepted.streamId && (f.flags & FrameFlag.END_STREAM) !== 0) {
        conn.write(conn.headers(f.streamId, [':status', '200']), data(f.streamId, String(conn.bodyOf(f.streamId).length), true));
      }
    });
  });
  const pool = poolTo(t, server);
  return { server, pool, requests };
}

function check(h: RecordingHandler, requests: Received[], pool: Http2SessionPool): void {
  assert.deepEqual(h.events, ['head 200', `data ${String(BODY.length).length}`, 'end'], 'the owner hears only the answer');
  assert.equal(h.body.toString(), String(BODY.length));
  assert.equal(requests.length, 2, 'the request came twice');
  const [, second] = requests;
  const got = second!.connection.bodyOf(second!.streamId);
  assert.equal(got.length, BODY.length, 'the whole body on the second stream');
  assert.ok(got.equals(BODY), 'the same bytes in the same order');
  assert.ok(second!.connection.ended(second!.streamId), 'the second stream ended');
  assert.deepEqual(second!.fields, requests[0]!.fields, 'the same request head');
  assert.ok(requests[0]!.fields.includes('content-length'));
  assert.equal(pool.getStats().active, 0);
}

test('a 10 KiB POST refused with REFUSED_STREAM is sent again with its whole body', { timeout: 10_000 }, async (t) => {
  const { pool, requests } = await start(t);
  const exchange: UpstreamConnection = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(BODY.length), h);
  exchange.writeBody(BODY);
  exchange.endBody();
  await within(h.settled, 2000, 'the answer');
  check(h, requests, pool);
});

test('a POST refused after part of its body is sent again with all of it, the rest written later', { timeout: 10_000 }, async (t) => {
  const { pool, requests } = await start(t);
  const exchange: UpstreamConnection = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(BODY.length), h);
  exchange.writeBody(BODY.subarray(0, 4096));
  // The refusal has come and the exchange is on its second stream before the rest is written.
  await waitUntil(() => requests.length === 2, 2000, 'the second HEADERS');
  exchange.writeBody(BODY.subarray(4096, 6000));
  exchange.writeBody(BODY.subarray(6000));
  exchange.endBody();
  await within(h.settled, 2000, 'the answer');
  check(h, requests, pool);
});
