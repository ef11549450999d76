// A server that starts a header block (HEADERS without END_HEADERS) and follows it with empty
// CONTINUATION frames forever never reaches the header block's byte limit, but each frame cost the
// client memory (one fragment kept per frame): the connection must end with an error after a bounded
// number of frames, quickly, failing the exchange, instead of reading the flood.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { poolTo, rawFrame, RawH2Server, RecordingHandler, request, waitUntil, within } from './support/raw-h2-server.js';

/** 10,000 empty CONTINUATION frames per write, up to 200 writes: 2,000,000 frames, 18 MB. */
const BATCH_FRAMES = 10_000;
const BATCHES = 200;

test('an empty CONTINUATION flood ends the connection with an error', { timeout: 20_000 }, async (t) => {
  let batchesWritten = 0;
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([]));
    conn.onFrame((f) => {
      if (f.type !== FrameType.HEADERS) return;
      conn.write(rawFrame(FrameType.HEADERS, 0, f.streamId, Buffer.from([0x88]))); // :status 200, no END_HEADERS
      const batch = Buffer.concat(Array<Buffer>(BATCH_FRAMES).fill(rawFrame(FrameType.CONTINUATION, 0, f.streamId)));
      const pump = (): void => {
        while (batchesWritten < BATCHES && !conn.socket.destroyed) {
          batchesWritten++;
          if (!conn.socket.write(batch)) return void conn.socket.once('drain', pump);
        }
      };
      pump();
    });
  });
  const pool = poolTo(t, server);

  const heapBefore = process.memoryUsage().heapUsed;
  const exchange = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(), h);
  await within(h.settled, 2000, 'the exchange failing');
  assert.deepEqual(h.events, [`error ${ProxyErrorCode.UpstreamProtocol}`]);
  assert.match(h.error!.message, /ENHANCE_YOUR_CALM/);

  // The client dropped the connection: the server's socket closes while most of the flood is unsent.
  const conn = server.connections[0]!;
  await waitUntil(() => conn.closed, 2000, 'the connection closing');
  assert.ok(batchesWritten < BATCHES, `the flood was cut short (${batchesWritten} of ${BATCHES} batches written)`);
  assert.equal(pool.getStats().idle + pool.getStats().active, 0, 'no session left');
  // Loose: the flood kept no per-frame state (an unbounded fragment list grows by hundreds of MB).
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${(grown / 1e6).toFixed(0)} MB`);
});
