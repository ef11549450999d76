// One stream per session: a second exchange waits for the first's slot. The server answers stream 1
// and sends GOAWAY(last-stream-id 1) in the same segment (a graceful shutdown after its last answer).
// The slot freed by stream 1's end must not carry the waiter's stream onto that connection: the server
// would ignore any stream above 1 and the exchange would wait forever. It goes to a new connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goawayFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType, H2ErrorCode } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { delay, poolTo, RawH2Server, RecordingHandler, request, within } from './support/raw-h2-server.js';

test('a waiter does not open a stream on a session that just got GOAWAY', { timeout: 10_000 }, async (t) => {
  // The second connection (opened for the waiter) becomes ready only when the test says: until then
  // the waiter's only way to a slot is stream 1's end.
  let releaseSecond = (): void => {};
  const server = await RawH2Server.start((conn) => {
    if (conn.index === 0) conn.write(settingsFrame([]));
    else releaseSecond = () => conn.write(settingsFrame([]));
    // Connections after the first answer every request at once.
    if (conn.index > 0) {
      conn.onFrame((f) => {
        if (f.type === FrameType.HEADERS) conn.write(conn.headers(f.streamId, [':status', '200'], true));
      });
    }
  });
  const pool = poolTo(t, server, { maxConcurrentStreams: 1 });

  const a = await pool.acquire();
  const ha = new RecordingHandler();
  a.send(request(), ha);
  const bWaits = pool.acquire(); // session 1 is full; a second connection opens, not ready
  await delay(100);
  const first = server.connections[0]!;
  assert.deepEqual(first.headersStreams(), [1]);
  assert.equal(server.connections.length, 2);

  // Stream 1's answer frees the slot the waiter gets; the GOAWAY right behind it closes the session to
  // new streams before the waiter's stream opens.
  first.write(first.headers(1, [':status', '200'], true), goawayFrame(1, H2ErrorCode.NO_ERROR));
  const b = await within(Promise.resolve(bWaits), 2000, 'a slot for the waiter');
  const hb = new RecordingHandler();
  b.send(request(), hb);
  await within(ha.settled, 2000, 'the answer to A');
  assert.deepEqual(ha.events, ['head 200', 'end']);
  await delay(100);
  assert.deepEqual(first.headersStreams(), [1], 'no HEADERS above the last-stream-id on the connection that went away');

  // The exchange goes to the second connection once it is ready.
  releaseSecond();
  await within(hb.settled, 2000, 'the answer to B');
  assert.deepEqual(hb.events, ['head 200', 'end'], 'B answered on the second connection');
  assert.deepEqual(server.connections[1]!.headersStreams(), [1]);
  assert.deepEqual(first.headersStreams(), [1]);
  assert.equal(server.connections.length, 2);
  assert.equal(pool.getStats().active, 0);
});
