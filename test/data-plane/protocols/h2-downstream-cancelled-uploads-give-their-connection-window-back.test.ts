// Body a stream received and nobody read (an upload the client cancels with RST_STREAM CANCEL, as a
// gRPC client cancelling a call, before the engine or a slow upstream took it) still counts against
// the connection's flow-control window. When the stream closes the proxy must give that window back
// (connection WINDOW_UPDATE), or a client that respects flow control ends up, after a few such
// cancels, with a connection on which no upload moves. Twenty cancelled uploads of 208 KiB (more than
// the 4 MiB connection window in all), then one upload of 300 KB must complete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { dataFrame, FrameType, H2ErrorCode, RawH2Client, rstStreamFrame, SettingId, sleep } from './support/raw-h2-client.js';

const CANCELLED = 20;
const CANCELLED_BYTES = 13 * 16_384; // 208 KiB: within one stream's 256 KiB window
const UPLOAD_BYTES = 300_000;

function post(path: string, length: number): string[] {
  return [':method', 'POST', ':scheme', 'http', ':authority', 'h2.test', ':path', path, 'content-length', String(length)];
}

test('twenty cancelled 208 KiB uploads give their connection window back: a 300 KB upload then completes', { timeout: 30_000 }, async (t) => {
  const { port, upstream } = await startInProcess(t, (req, res) => {
    if (req.url?.startsWith('/cancel')) {
      // A slow upstream: it reads nothing of the body and never answers.
      req.pause();
      return;
    }
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => res.end(JSON.stringify({ bytes })));
  });
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();

  // The client's view of the windows the proxy granted, as a well-behaved client keeps it.
  const initialStreamWindow = client.serverSettings()?.get(SettingId.INITIAL_WINDOW_SIZE) ?? 65_535;
  let sentOnConnection = 0;
  const granted = (streamId: number, base: number): number =>
    base + client.frames.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === streamId).reduce((a, f) => a + f.payload.readUInt32BE(0), 0);
  const connectionWindow = (): number => granted(0, 65_535) - sentOnConnection;
  const waitForConnectionWindow = async (bytes: number, timeoutMs: number): Promise<boolean> => {
    const deadline = performance.now() + timeoutMs;
    while (connectionWindow() < bytes) {
      if (client.closed || performance.now() > deadline) return false;
      await sleep(10);
    }
    return true;
  };

  let id = 1;
  for (let i = 0; i < CANCELLED; i++, id += 2) {
    assert.ok(
      await waitForConnectionWindow(CANCELLED_BYTES, 3000),
      `before cancelled upload ${i + 1} of ${CANCELLED}: the connection window is ${connectionWindow()} bytes, and no WINDOW_UPDATE brings it to ${CANCELLED_BYTES}: ${client.describe(6)}`,
    );
    const parts = [client.headers(id, post(`/cancel/${i}`, 1_000_000), false)];
    for (let k = 0; k < CANCELLED_BYTES / 16_384; k++) parts.push(dataFrame(id, Buffer.alloc(16_384, 0x61)));
    parts.push(rstStreamFrame(id, H2ErrorCode.CANCEL));
    client.write(...parts);
    sentOnConnection += CANCELLED_BYTES;
    await sleep(20);
  }
  await client.roundTrip();

  // A well-behaved upload: as much as both windows allow, then wait for WINDOW_UPDATE.
  const up = id;
  client.request(up, post('/upload', UPLOAD_BYTES), false);
  let sent = 0;
  const deadline = performance.now() + 8000;
  while (sent < UPLOAD_BYTES && !client.closed && performance.now() < deadline) {
    const room = Math.min(connectionWindow(), granted(up, initialStreamWindow) - sent, 16_384, UPLOAD_BYTES - sent);
    if (room <= 0) {
      await sleep(10);
      continue;
    }
    client.write(dataFrame(up, Buffer.alloc(room, 0x75), sent + room === UPLOAD_BYTES));
    sent += room;
    sentOnConnection += room;
  }
  assert.equal(sent, UPLOAD_BYTES, `the upload stalled at ${sent} of ${UPLOAD_BYTES} bytes: connection window ${connectionWindow()}; ${client.describe(6)}`);
  const outcome = await client.waitForStreamEnd(up, 5000);
  assert.equal(outcome.status, 200, client.describe(6));
  assert.deepEqual(JSON.parse(outcome.body.toString()), { bytes: UPLOAD_BYTES });
  assert.ok(upstream.seen.some((r) => r.url === '/upload'));
  assert.ok(!client.frames.some((f) => f.type === FrameType.GOAWAY), `GOAWAY on a well-behaved connection: ${client.describe(6)}`);
});
