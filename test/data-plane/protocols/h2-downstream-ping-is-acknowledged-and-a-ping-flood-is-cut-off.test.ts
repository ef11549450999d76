// PING (RFC 9113 §6.7): answered with a PING carrying ACK and the same 8 bytes. A client that floods
// PINGs and never reads the ACKs (CVE-2019-9512, "ping flood") makes the server queue an answer per
// PING; Envoy and nghttp2 stop at about 1,000 queued control frames and end the connection. The
// listener must cut such a client off, and keep serving others. A stray PING ACK is not answered and
// does not end the connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshGet, startInChild } from './support/h2-listener.js';
import { FrameFlag, FrameType, h2ErrorName, pingFrame, RawH2Client } from './support/raw-h2-client.js';

const MiB = 1 << 20;

test('PING is answered with ACK and the same payload', { timeout: 15_000 }, async (t) => {
  const { port } = await startInChild(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  const payload = Buffer.from('sluice!!');
  client.write(pingFrame(payload));
  const ack = await client.waitForFrame((f) => f.type === FrameType.PING, 3000, 'PING ACK');
  assert.equal(ack.flags & FrameFlag.ACK, FrameFlag.ACK);
  assert.equal(ack.streamId, 0);
  assert.deepEqual(ack.payload, payload);
});

test('a PING ACK nobody asked for is not answered, and the connection goes on', { timeout: 15_000 }, async (t) => {
  // RFC 9113 §6.7 only says an ACK must not be answered; nghttp2 and Envoy ignore a stray one.
  const { port } = await startInChild(t);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  client.write(pingFrame(Buffer.from('unasked!'), true));
  await client.roundTrip();
  assert.equal(client.frames.filter((f) => f.type === FrameType.PING && f.payload.equals(Buffer.from('unasked!'))).length, 0);
});

test('a PING flood that never reads the answers is cut off; others are still served', { timeout: 30_000 }, async (t) => {
  const proxy = await startInChild(t);
  const client = await RawH2Client.connect(proxy.port, { keepFrames: false });
  t.after(() => client.destroy());
  await client.roundTrip();
  const rssBefore = proxy.rss();
  // Stop reading: the server's ACKs fill the socket buffers, then its own queue.
  client.socket.pause();
  const batch = Buffer.concat(Array.from({ length: 1000 }, (_, i) => pingFrame(Buffer.from(String(i).padStart(8, '0')))));
  let pings = 0;
  let stalled = false;
  const started = performance.now();
  while (pings < 500_000 && !client.closed) {
    pings += 1000;
    if (!client.write(batch) && !(await client.drained(2000))) {
      stalled = true;
      break;
    }
    // Loopback takes whole batches at once: yield so that a close is seen.
    await new Promise((r) => setImmediate(r));
  }
  const rssAfter = proxy.rss();
  // Read again: a GOAWAY, if one came, then the close.
  client.socket.resume();
  const closed = await client.waitForClose(5000);
  const goaway = client.goaways()[0];
  t.diagnostic(
    `wrote ${pings} PINGs (${((pings * 17) / MiB).toFixed(1)} MiB) in ${(performance.now() - started).toFixed(0)} ms; writes stalled: ${stalled}; ACKs read: ${client.counts.get(FrameType.PING) ?? 0}; GOAWAY: ${goaway ? h2ErrorName(goaway.code) : 'none'}; closed: ${closed}${client.closeError ? ` (${(client.closeError as NodeJS.ErrnoException).code})` : ''}; proxy RSS ${(rssBefore / MiB).toFixed(0)} → ${(rssAfter / MiB).toFixed(0)} MiB`,
  );
  assert.ok(proxy.alive(), proxy.proxy.output().slice(-2000));
  assert.ok(closed, `a client that sent ${pings} PINGs without reading is still connected`);
  assert.ok(rssAfter - rssBefore < 64 * MiB, `the proxy grew by ${((rssAfter - rssBefore) / MiB).toFixed(0)} MiB`);
  assert.equal(await freshGet(proxy.port), 200, 'another client is served');
});
