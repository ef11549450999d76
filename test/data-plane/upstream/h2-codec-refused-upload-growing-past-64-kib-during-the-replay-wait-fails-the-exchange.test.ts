// A refused stream's request body is kept (up to 64 KiB) so that the exchange can be sent again. An
// upload refused by GOAWAY whose body passes 64 KiB while the exchange waits for a new connection
// cannot be replayed whole any more: the refusal becomes the exchange's answer, as an error, at once.
// (It used to throw inside the slot promise: an unhandled rejection, and a stream opened with a
// truncated body.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goawayFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType, H2ErrorCode } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { Http2SessionPool } from '../../../data-plane/src/upstream/http2-session-pool.js';
import { RawH2Server, RecordingHandler, delay, poolOptions, request, waitUntil, within } from './support/raw-h2-server.js';

test('a refused upload that grows past 64 KiB during the replay wait fails the exchange', { timeout: 10_000 }, async (t) => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  const server = await RawH2Server.start((conn) => {
    // The second connection is slow to become ready: the exchange waits for it.
    if (conn.index === 0) conn.write(settingsFrame([]));
    else setTimeout(() => conn.write(settingsFrame([])), 300);
  });
  const pool = new Http2SessionPool('127.0.0.1', server.port, poolOptions());
  t.after(async () => {
    process.off('unhandledRejection', onRejection);
    pool.close();
    await server.close();
  });

  const exchange = await pool.acquire();
  const h = new RecordingHandler();
  exchange.send(request(-1), h);
  exchange.writeBody(Buffer.alloc(1000, 1));
  const first = server.connections[0]!;
  await waitUntil(() => first.bodyOf(1).length === 1000, 2000, 'the first 1000 bytes on stream 1');

  first.write(goawayFrame(0, H2ErrorCode.NO_ERROR)); // refused unprocessed: the exchange waits to be sent again
  await waitUntil(() => server.connections.length === 2, 2000, 'a new connection for the replay');
  exchange.writeBody(Buffer.alloc(70_000, 2)); // past what is kept for a replay
  await within(h.settled, 1000, 'the exchange failing');
  assert.equal(h.events.length, 1, `one event, the error: ${h.events.join(', ')}`);
  assert.equal(h.error?.code, ProxyErrorCode.UpstreamReset, 'the refusal is the answer');

  // The new connection becomes ready: no stream opens there for the exchange, nothing leaks.
  await delay(500);
  const second = server.connections[1]!;
  assert.deepEqual(second.frames.filter((f) => f.type === FrameType.HEADERS || f.type === FrameType.DATA), [], 'nothing sent on the new connection');
  assert.equal(h.events.length, 1, 'nothing after the error');
  assert.equal(pool.getStats().active, 0, 'the slot went back');
  assert.deepEqual(rejections, [], 'no unhandled rejection');
});
