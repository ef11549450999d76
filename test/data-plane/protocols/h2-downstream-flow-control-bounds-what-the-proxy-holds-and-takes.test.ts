// Flow control towards a client, both ways (RFC 9113 §5.2, §6.9). A client that advertises
// SETTINGS_INITIAL_WINDOW_SIZE 0 and never opens it gets the response head and no DATA; the proxy
// holds back the upstream rather than buffering its whole body (the upstream's writes stall after a
// bounded amount), and the stream does not hang forever: the listener's idle timeout (idleTimeoutMs)
// ends it. A client that sends more DATA than the stream window the server granted is refused with
// FLOW_CONTROL_ERROR (RST_STREAM, or GOAWAY).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { startInProcess } from './support/h2-listener.js';
import { dataFrame, FrameType, getRequest, H2ErrorCode, h2ErrorName, RawH2Client, SettingId, sleep } from './support/raw-h2-client.js';

const MiB = 1 << 20;
const IDLE_TIMEOUT_MS = 1000;

test('a zero window gets the head and no DATA; the upstream is held back; the stream ends by the idle timeout', { timeout: 20_000 }, async (t) => {
  let written = 0;
  let upstreamClosed = false;
  const { port } = await startInProcess(
    t,
    (req, res) => {
      req.resume();
      res.on('close', () => (upstreamClosed = true));
      res.writeHead(200, { 'content-length': String(64 * MiB) });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => {
        while (written < 64 * MiB && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    },
    `{idleTimeoutMs: ${IDLE_TIMEOUT_MS}, drainTimeoutMs: 1000}`,
  );
  const client = await RawH2Client.connect(port, { settings: [[SettingId.INITIAL_WINDOW_SIZE, 0]] });
  t.after(() => client.destroy());
  await client.roundTrip();
  const started = performance.now();
  client.request(1, getRequest('/big'));
  await client.waitForFrame((f) => f.streamId === 1 && f.type === FrameType.HEADERS, 3000, 'the response head');
  assert.equal(client.outcome(1).status, 200);

  // The upstream's writes stall: what it got out is bounded by socket buffers, not by the body.
  let last = -1;
  await until(() => `the upstream's writes to stall (${written} bytes written)`, async () => {
    const now = written;
    const stalled = now === last;
    last = now;
    await sleep(200);
    return stalled;
  }, 5000);
  assert.ok(written < 16 * MiB, `the upstream wrote ${(written / MiB).toFixed(1)} MiB towards a client with a zero window`);
  assert.deepEqual(client.frames.filter((f) => f.type === FrameType.DATA && f.payload.length > 0), [], 'no DATA within a zero window');

  // Nothing moves on the stream: the listener's idle timeout must end it (a reset, a GOAWAY and close).
  const ended = await client.maybeFrame((f) => (f.streamId === 1 && f.type === FrameType.RST_STREAM) || f.type === FrameType.GOAWAY, IDLE_TIMEOUT_MS + 3000);
  const closedToo = ended?.type === FrameType.GOAWAY ? await client.waitForClose(1500) : false;
  t.diagnostic(`upstream wrote ${(written / MiB).toFixed(2)} MiB; after ${((performance.now() - started) / 1000).toFixed(1)} s: ${client.describe(3)}; upstream response closed: ${upstreamClosed}`);
  assert.ok(ended !== undefined, `the stream with a zero window was neither reset nor the connection ended within ${IDLE_TIMEOUT_MS + 3000} ms: ${client.describe(4)}`);
  if (ended!.type === FrameType.GOAWAY) assert.ok(closedToo || client.outcome(1).rstCode !== undefined, 'after the GOAWAY the stalled stream is ended too');
  await until('the upstream response to be closed', () => upstreamClosed, 3000);
});

test('DATA past the stream window the server granted is refused with FLOW_CONTROL_ERROR', { timeout: 20_000 }, async (t) => {
  // The upstream takes the head, never reads the body: the proxy stops reading it, so the stream window stops reopening.
  const { port } = await startInProcess(t, (req) => req.pause());
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  const initial = client.serverSettings()?.get(SettingId.INITIAL_WINDOW_SIZE) ?? 65_535;
  const granted = (stream: number, base: number): number =>
    base + client.frames.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === stream).reduce((a, f) => a + f.payload.readUInt32BE(0), 0);

  client.request(1, [':method', 'POST', ':scheme', 'http', ':authority', 'h2.test', ':path', '/upload', 'content-type', 'application/octet-stream'], false);
  const chunk = Buffer.alloc(16_384, 0x62);
  let sent = 0;
  let quietSince = performance.now();
  let lastGrant = granted(1, initial);
  // Send within both windows until the stream's stops growing for 500 ms (or 32 MiB went).
  while (sent < 32 * MiB && !client.closed) {
    const streamWindow = granted(1, initial) - sent;
    const connWindow = granted(0, 65_535) - sent;
    if (granted(1, initial) !== lastGrant) {
      lastGrant = granted(1, initial);
      quietSince = performance.now();
    }
    if (Math.min(streamWindow, connWindow) >= chunk.length) {
      client.write(dataFrame(1, chunk));
      sent += chunk.length;
      if (sent % (1 * MiB) === 0) await client.drained(2000);
      continue;
    }
    if (performance.now() - quietSince > 500) break;
    await sleep(20);
  }
  const streamWindow = granted(1, initial) - sent;
  t.diagnostic(`sent ${sent} bytes within the windows; the stream window left is ${streamWindow}`);
  assert.ok(streamWindow < chunk.length, `the stream window kept opening (${sent} bytes sent)`);
  // One frame more than the window allows.
  const over = Buffer.alloc(Math.min(16_384, streamWindow + 1024), 0x63);
  client.write(dataFrame(1, over));
  const refused = await client.waitForFrame((f) => (f.streamId === 1 && f.type === FrameType.RST_STREAM) || f.type === FrameType.GOAWAY, 3000, 'RST_STREAM or GOAWAY');
  const code = refused.type === FrameType.GOAWAY ? refused.payload.readUInt32BE(4) : refused.payload.readUInt32BE(0);
  t.diagnostic(`refused: ${client.describe(2)}`);
  assert.equal(h2ErrorName(code), h2ErrorName(H2ErrorCode.FLOW_CONTROL_ERROR), client.describe(4));
});
