// A server whose SETTINGS allow 0 concurrent streams (for now) gives a new session no room for the
// waiting exchange. The pool must not answer that by opening another connection at once, and another:
// it used to open connections in a tight loop until the wait timed out. The waiter waits instead, and
// gets its slot when the server raises the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { FrameType, SettingId } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { delay, poolTo, RawH2Server, RecordingHandler, request, within } from './support/raw-h2-server.js';

test('SETTINGS_MAX_CONCURRENT_STREAMS=0 does not make the pool open connections in a loop', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    conn.write(settingsFrame([[SettingId.MAX_CONCURRENT_STREAMS, 0]]));
    conn.onFrame((f) => {
      if (f.type === FrameType.HEADERS) conn.write(conn.headers(f.streamId, [':status', '200'], true));
    });
  });
  const pool = poolTo(t, server, { connectTimeoutMs: 2000 });

  let acquired = false;
  const waiting = Promise.resolve(pool.acquire()).then((c) => {
    acquired = true;
    return c;
  });
  waiting.catch(() => {});
  await delay(300);
  assert.ok(server.connections.length <= 2, `connections opened in 300 ms: ${server.connections.length}`);
  assert.equal(acquired, false, 'no room yet: the exchange waits');

  // The server makes room on the connections it has: the waiter gets a slot there.
  const accepted = server.connections.length;
  for (const c of server.connections) c.write(settingsFrame([[SettingId.MAX_CONCURRENT_STREAMS, 100]]));
  const exchange = await within(waiting, 1000, 'a slot once the limit is raised');
  const h = new RecordingHandler();
  exchange.send(request(), h);
  await within(h.settled, 2000, 'the answer');
  assert.deepEqual(h.events, ['head 200', 'end']);
  assert.equal(server.connections.length, accepted, 'no connection opened for it');
});
