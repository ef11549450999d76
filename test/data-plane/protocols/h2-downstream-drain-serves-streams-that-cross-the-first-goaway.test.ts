// A graceful close takes RFC 9113 §6.8's two steps. The first GOAWAY carries the highest stream id and
// a PING follows it; a stream the client opened before it read that GOAWAY (here: sent after it, as a
// request already on its way would be) is served in full and reaches the upstream, not refused. Once
// the PING is acknowledged the second GOAWAY carries the real last stream id, and the connection
// closes after its last stream. A client that never acknowledges gets the second GOAWAY after about a
// second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { FrameFlag, FrameType, getRequest, h2ErrorName, pingFrame, RawH2Client } from './support/raw-h2-client.js';

const MAX_STREAM_ID = 0x7fff_ffff;

test('a stream that crosses the first GOAWAY is served; the PING ACK brings the second GOAWAY', { timeout: 20_000 }, async (t) => {
  const { port, upstream, close } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();

  const draining = close();
  const notice = await client.waitForFrame((f) => f.type === FrameType.GOAWAY, 3000, 'the first GOAWAY');
  assert.equal(notice.payload.readUInt32BE(0) & MAX_STREAM_ID, MAX_STREAM_ID, 'the first GOAWAY announces the shutdown with the highest stream id');
  assert.equal(h2ErrorName(notice.payload.readUInt32BE(4)), 'NO_ERROR');
  const ping = await client.waitForFrame((f) => f.type === FrameType.PING && (f.flags & FrameFlag.ACK) === 0, 1000, 'the PING after the first GOAWAY');

  // A request that was already on its way, then the acknowledgement.
  client.request(1, getRequest('/crossing'));
  const acked = performance.now();
  client.write(pingFrame(ping.payload, true));

  const one = await client.waitForStreamEnd(1, 3000);
  assert.equal(one.status, 200, `the crossing stream: ${client.describe(8)}`);
  assert.ok(upstream.seen.some((r) => r.url === '/crossing'), 'the crossing stream reached the upstream');
  const final = await client.waitForFrame((f) => f.type === FrameType.GOAWAY && (f.payload.readUInt32BE(0) & MAX_STREAM_ID) !== MAX_STREAM_ID, 3000, 'the second GOAWAY');
  assert.equal(final.payload.readUInt32BE(0) & MAX_STREAM_ID, 1, 'the second GOAWAY names the last stream it took');
  assert.ok(performance.now() - acked < 800, 'the second GOAWAY followed the PING ACK, not the timeout');
  assert.ok(await client.waitForClose(3000), `the connection is still open after its last stream: ${client.describe(8)}`);
  await draining;
});

test('a client that does not acknowledge the PING gets the second GOAWAY after about a second', { timeout: 20_000 }, async (t) => {
  const { port, close } = await startInProcess(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();

  const started = performance.now();
  const draining = close();
  await client.waitForFrame((f) => f.type === FrameType.GOAWAY, 3000, 'the first GOAWAY');
  await client.waitForFrame((f) => f.type === FrameType.GOAWAY && (f.payload.readUInt32BE(0) & MAX_STREAM_ID) !== MAX_STREAM_ID, 3000, 'the second GOAWAY');
  const took = performance.now() - started;
  assert.ok(took >= 900 && took < 2500, `the second GOAWAY came ${took.toFixed(0)} ms after the close`);
  assert.ok(await client.waitForClose(3000), `the connection is still open: ${client.describe(8)}`);
  await draining;
});
