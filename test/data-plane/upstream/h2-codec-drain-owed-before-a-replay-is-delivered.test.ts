// writeBody returned false (the first connection's stream window is 10 bytes), so the caller waits for
// onRequestDrain before writing more. Then GOAWAY refuses the stream and the exchange is sent again on
// a new connection, where the kept body fits: the drain the caller waits for must still come, or the
// upload stalls for good. (It used to be lost with the refused stream.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goawayFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { H2ErrorCode, SettingId } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { poolTo, RawH2Server, RecordingHandler, request, waitUntil } from './support/raw-h2-server.js';

test('the drain owed before a replay is delivered', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    conn.write(conn.index === 0 ? settingsFrame([[SettingId.INITIAL_WINDOW_SIZE, 10]]) : settingsFrame([]));
  });
  const pool = poolTo(t, server);

  const exchange = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(-1), h);
  const body = Buffer.alloc(100);
  for (let i = 0; i < body.length; i++) body[i] = i;
  assert.equal(exchange.writeBody(body), false, 'a 10-byte window: wait for the drain');
  const first = server.connections[0]!;
  await waitUntil(() => first.bodyOf(1).length === 10, 2000, '10 bytes on stream 1');

  first.write(goawayFrame(0, H2ErrorCode.NO_ERROR)); // refused unprocessed: sent again elsewhere
  await waitUntil(() => h.drains > 0 || h.error !== undefined, 2000, 'onRequestDrain after the replay');
  assert.deepEqual(h.events, ['drain']);

  // The replay carried the kept body whole.
  const second = server.connections[1]!;
  await waitUntil(() => second.bodyOf(1).length === 100, 2000, 'the whole body on the new connection');
  assert.deepEqual(second.bodyOf(1), body);
});
