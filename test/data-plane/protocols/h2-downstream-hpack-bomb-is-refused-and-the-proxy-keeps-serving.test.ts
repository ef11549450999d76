// HPACK bomb: a header block that puts one ~4 KiB field in the dynamic table, then refers to it with a
// one-byte index thousands of times (16 KiB on the wire decoding to 64 MiB of header list). The
// listener must refuse it without building the list: a 431, RST_STREAM, or GOAWAY
// COMPRESSION_ERROR / ENHANCE_YOUR_CALM; nothing reaches the upstream, the proxy's memory stays
// put, and the proxy serves other clients (and, when only the stream was refused, this one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshGet, startInChild } from './support/h2-listener.js';
import { field, FrameType, getRequest, H2ErrorCode, h2ErrorName, hpackIndexed, hpackLiteral, plainBlock, RawH2Client } from './support/raw-h2-client.js';

const MiB = 1 << 20;

test('a header block of one 4 KiB table entry referenced 16,000 times is refused; the proxy keeps serving', { timeout: 20_000 }, async (t) => {
  const proxy = await startInChild(t);
  const client = await RawH2Client.connect(proxy.port);
  t.after(() => client.destroy());
  await client.roundTrip();
  const rssBefore = proxy.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, proxy.rss())), 25);
  t.after(() => clearInterval(sampler));

  // Blocks on this connection are built by hand (the client's encoder is not used): the server's
  // dynamic table then holds only the bomb's entry, at index 62.
  const block = Buffer.concat([plainBlock(getRequest('/bomb')), hpackLiteral('x-bomb', 'b'.repeat(4000), true), Buffer.alloc(16_000, hpackIndexed(62))]);
  client.write(client.headersBlock(1, block));
  const end = await client.maybeFrame(
    (f) => (f.streamId === 1 && (f.type === FrameType.RST_STREAM || f.fields !== undefined)) || f.type === FrameType.GOAWAY,
    5000,
  );
  const closed = client.closed || (end?.type === FrameType.GOAWAY && (await client.waitForClose(3000)));
  clearInterval(sampler);
  peak = Math.max(peak, proxy.rss());
  const o = client.outcome(1);
  const goaway = client.goaways()[0];
  t.diagnostic(`answer: ${client.describe(4)}; proxy RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB`);

  assert.ok(proxy.alive(), `the proxy exited:\n${proxy.proxy.output().slice(-2000)}`);
  const refused =
    o.status === 431 ||
    o.rstCode !== undefined ||
    (goaway !== undefined && (goaway.code === H2ErrorCode.COMPRESSION_ERROR || goaway.code === H2ErrorCode.ENHANCE_YOUR_CALM));
  assert.ok(refused, `the bomb was not refused as expected: status ${o.status}, reset ${o.rstCode === undefined ? '-' : h2ErrorName(o.rstCode)}, GOAWAY ${goaway ? h2ErrorName(goaway.code) : '-'}, closed ${closed}`);
  if (o.status === 431) assert.match(String(field(o.fields, 'x-sluice-error')), /headers-too-large|too-many-headers/);
  assert.equal(proxy.upstream.seen.length, 0, 'nothing reached the upstream');
  assert.ok(peak - rssBefore < 48 * MiB, `the proxy grew by ${((peak - rssBefore) / MiB).toFixed(0)} MiB decoding 16 KiB`);
  if (goaway === undefined && !closed) {
    // Only the stream was refused: the connection (its HPACK state intact) serves the next request.
    client.write(client.headersBlock(3, plainBlock(getRequest('/after'))));
    assert.equal((await client.waitForStreamEnd(3, 5000)).status, 200);
  }
  assert.equal(await freshGet(proxy.port), 200, 'another client is served');
});
