// The whole response arrived (END_STREAM) while the owner had paused it, and then the server closed
// the connection (GOAWAY, then FIN, as a graceful shutdown does). Nothing is missing: the owner must
// still get head, every chunk and the end when it resumes. (The close used to fail the exchange
// because the client was slow.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goawayFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType, H2ErrorCode } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { data, delay, poolTo, RawH2Server, RecordingHandler, request, waitUntil, within } from './support/raw-h2-server.js';

test('a complete response held for a paused owner survives the connection closing', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS) return;
      conn.write(
        conn.headers(f.streamId, [':status', '200']),
        data(f.streamId, Buffer.alloc(1000, 1)),
        data(f.streamId, Buffer.alloc(1000, 2)),
        data(f.streamId, Buffer.alloc(1000, 3), true),
        goawayFrame(f.streamId, H2ErrorCode.NO_ERROR),
      );
      setTimeout(() => conn.socket.end(), 20);
    });
  });
  const pool = poolTo(t, server);

  const exchange = await pool.acquire();
  // Paused at the first chunk only.
  const h = new RecordingHandler((_chunk, n) => n === 0);
  exchange.send(request(), h);
  await waitUntil(() => server.connections[0]!.closed, 2000, 'the server closing the connection');
  await delay(50);
  assert.deepEqual(h.events, ['head 200', 'data 1000'], 'paused after the first chunk');

  exchange.resumeResponse();
  await within(h.settled, 2000, 'the end after resume');
  assert.deepEqual(h.events, ['head 200', 'data 1000', 'data 1000', 'data 1000', 'end']);
  assert.deepEqual(h.body, Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(1000, 3)]));
  assert.deepEqual(pool.getStats(), { ...pool.getStats(), idle: 0, active: 0 }, 'no session left');
});
