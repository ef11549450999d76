// A request body whose end comes in the same tick as its last chunk (a gRPC unary call: one message,
// then the end) goes upstream as one DATA frame carrying END_STREAM, as node:http2's client sends it,
// not as the chunk and then an empty DATA frame: the server handles one frame per call, not two. A
// chunk the windows cannot take whole is not held back: the caller still hears to wait.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameFlag, FrameType, SettingId } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { poolTo, type RawH2Connection, RawH2Server, RecordingHandler, request, waitUntil } from './support/raw-h2-server.js';
import type { UpstreamConnection } from '../../../data-plane/src/upstream/upstream-client.js';

/** A raw server with these settings, a pool to it, and one exchange sending a request whose body follows. */
async function bodyExchange(t: TestContext, settings: ReadonlyArray<readonly [number, number]> = []): Promise<{ exchange: UpstreamConnection; conn: () => RawH2Connection }> {
  const server = await RawH2Server.start((conn) => conn.write(settingsFrame(settings)));
  const pool = poolTo(t, server);
  const exchange = await pool.acquire();
  exchange.send(request(-1), new RecordingHandler());
  return { exchange, conn: () => server.connections[0]! };
}

test('the last chunk and the end of a body in one tick make one DATA frame with END_STREAM', { timeout: 10_000 }, async (t) => {
  const { exchange, conn: connection } = await bodyExchange(t);
  assert.equal(exchange.writeBody(Buffer.from('first')), true);
  assert.equal(exchange.writeBody(Buffer.from('second')), true);
  exchange.endBody();
  const conn = connection();
  await waitUntil(() => conn.ended(1), 2000, 'END_STREAM on stream 1');
  const data = conn.frames.filter((f) => f.type === FrameType.DATA && f.streamId === 1);
  assert.deepEqual(
    data.map((f) => [f.payload.toString(), (f.flags & FrameFlag.END_STREAM) !== 0]),
    [
      ['first', false],
      ['second', true],
    ],
  );
});

test('a chunk written in one tick and the end in a later one still send everything', { timeout: 10_000 }, async (t) => {
  const { exchange, conn: connection } = await bodyExchange(t);
  exchange.writeBody(Buffer.from('early'));
  const conn = connection();
  await waitUntil(() => conn.bodyOf(1).toString() === 'early', 2000, 'the chunk, sent when its tick ended');
  assert.equal(conn.ended(1), false);
  exchange.endBody();
  await waitUntil(() => conn.ended(1), 2000, 'END_STREAM on stream 1');
  assert.equal(conn.bodyOf(1).toString(), 'early');
});

test('a chunk larger than the stream window is not held: the caller is told to wait', { timeout: 10_000 }, async (t) => {
  const { exchange, conn: connection } = await bodyExchange(t, [[SettingId.INITIAL_WINDOW_SIZE, 10]]);
  assert.equal(exchange.writeBody(Buffer.alloc(100)), false);
  const conn = connection();
  await waitUntil(() => conn.bodyOf(1).length === 10, 2000, 'the 10 bytes the window allows');
});
