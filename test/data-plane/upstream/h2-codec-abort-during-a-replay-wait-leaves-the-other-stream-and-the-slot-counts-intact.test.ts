// GOAWAY(last-stream-id 1) refuses stream 3 while stream 1 is still answered: stream 3's exchange
// waits for a slot on a new connection (which never becomes ready here), and its client goes away
// meanwhile. The abort must give back only what the exchange holds: it used to give the old
// session's slot back a second time, so the draining session counted no streams, shut down under
// stream 1, and stream 1 never ended (and the slot counts went negative).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goawayFrame, settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { H2ErrorCode } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { data, delay, poolTo, RawH2Server, RecordingHandler, request, waitUntil, within } from './support/raw-h2-server.js';

test('an abort during a replay wait leaves the other stream and the slot counts intact', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    // Only the first connection becomes ready: the replay of stream 3 waits for the second.
    if (conn.index === 0) conn.write(settingsFrame([]));
  });
  const pool = poolTo(t, server, { connectTimeoutMs: 1000 });
  const activeSeen: number[] = [];
  const sample = (): void => {
    activeSeen.push(pool.getStats().active);
  };

  const x = await pool.acquire();
  const hx = new RecordingHandler();
  x.send(request(), hx);
  const y = await pool.acquire();
  const hy = new RecordingHandler();
  y.send(request(), hy);
  const first = server.connections[0]!;
  await waitUntil(() => first.headersStreams().length === 2, 2000, 'HEADERS of streams 1 and 3');
  sample();

  first.write(goawayFrame(1, H2ErrorCode.NO_ERROR)); // stream 3 was not processed: replay elsewhere
  await waitUntil(() => server.connections.length === 2, 2000, 'a new connection for the replay');
  sample();
  y.abort(); // the client went away during the replay wait
  sample();
  await delay(50);
  sample();

  first.write(first.headers(1, [':status', '200']), data(1, 'hello', true));
  await within(hx.settled, 2000, 'the end of stream 1');
  assert.deepEqual(hx.events, ['head 200', 'data 5', 'end']);
  assert.equal(hx.body.toString(), 'hello');
  assert.deepEqual(hy.events, [], 'an aborted exchange hears nothing');
  sample();
  assert.equal(pool.getStats().active, 0, 'every slot went back');

  // The replay's connect times out later: still nothing owed, nothing negative.
  await delay(1200);
  sample();
  assert.deepEqual(hy.events, []);
  assert.equal(pool.getStats().active, 0);
  assert.ok(activeSeen.every((n) => n >= 0), `slot counts never negative: ${activeSeen.join(', ')}`);
  assert.deepEqual(first.headersStreams(), [1, 3], 'nothing more opened on the connection that went away');
});
