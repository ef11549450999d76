// CONTINUATION flood (CVE-2024-27316 and its kin, 2024): HEADERS without END_HEADERS, then
// CONTINUATION frames that never end the block. A server that buffers the block until it ends grows
// without bound (non-empty frames) or spins forever (empty ones). The listener must end the
// connection (GOAWAY, or a close) after a bounded number of frames and bytes, the proxy process's
// memory must not follow the flood, and the proxy keeps serving other clients.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { freshGet, startInChild, type InChild } from './support/h2-listener.js';
import { frame, FrameType, getRequest, h2ErrorName, hpackLiteral, RawH2Client } from './support/raw-h2-client.js';

const MiB = 1 << 20;
/** The most the flood sends before the test gives up on the server ending it. */
const MAX_FLOOD_BYTES = 64 * MiB;
const MAX_FRAMES = 1_000_000;

async function flood(t: TestContext, proxy: InChild, payload: Buffer, label: string): Promise<void> {
  const client = await RawH2Client.connect(proxy.port, { keepFrames: false });
  t.after(() => client.destroy());
  await client.roundTrip();
  const rssBefore = proxy.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, proxy.rss())), 50);
  t.after(() => clearInterval(sampler));

  // The block opens with a valid request's fields, and never ends.
  client.write(client.headersBlock(1, client.encoder.encode(getRequest('/continuation')), true, false));
  const one = frame(FrameType.CONTINUATION, 0, 1, payload);
  const batch = Buffer.concat(Array.from({ length: Math.max(1, Math.floor(256 * 1024 / one.length)) }, () => one));
  const perBatch = batch.length / one.length;
  let frames = 0;
  let bytes = 0;
  while (frames < MAX_FRAMES && bytes < MAX_FLOOD_BYTES && !client.closed && client.goaways().length === 0) {
    frames += perBatch;
    bytes += batch.length;
    if (!client.write(batch) && !(await client.drained(2000))) break;
    await new Promise((r) => setImmediate(r));
  }
  const goaway = client.goaways()[0];
  const closed = await client.waitForClose(3000);
  clearInterval(sampler);
  peak = Math.max(peak, proxy.rss());
  const growth = peak - rssBefore;
  // `frames` counts what the client wrote before it saw the end: the server may have read far fewer.
  t.diagnostic(`${label}: wrote ${frames} CONTINUATION frames (${(bytes / MiB).toFixed(1)} MiB); GOAWAY: ${goaway ? `${h2ErrorName(goaway.code)} last=${goaway.lastStreamId}` : 'none'}; closed: ${closed}${client.closeError ? ` (${(client.closeError as NodeJS.ErrnoException).code})` : ''}; proxy RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB`);

  assert.ok(proxy.alive(), `the proxy exited:\n${proxy.proxy.output().slice(-2000)}`);
  // The flood stops at MAX_FRAMES or MAX_FLOOD_BYTES: a connection still open then was never cut off.
  assert.ok(closed, `${label}: the connection is still open after ${frames} CONTINUATION frames, ${(bytes / MiB).toFixed(1)} MiB (GOAWAY: ${goaway ? h2ErrorName(goaway.code) : 'none'})`);
  assert.ok(growth < 48 * MiB, `${label}: the proxy grew by ${(growth / MiB).toFixed(0)} MiB`);
  assert.equal(await freshGet(proxy.port), 200, 'another client is served');
}

test('endless empty CONTINUATION frames: the connection is ended and the proxy keeps serving', { timeout: 30_000 }, async (t) => {
  const proxy = await startInChild(t);
  await flood(t, proxy, Buffer.alloc(0), 'empty frames');
});

test('endless CONTINUATION frames full of header fields: the connection is ended before memory grows', { timeout: 30_000 }, async (t) => {
  const proxy = await startInChild(t);
  // Each frame: one literal field (not indexed) with a 16,000-byte value.
  await flood(t, proxy, hpackLiteral('x-f', 'v'.repeat(16_000)), 'full frames');
});
