// A connection accepted before a drain began but whose HTTP/2 preface arrives only after it (it was
// still being sniffed, HTTP/1.1 or HTTP/2, when the drain sent GOAWAY to the sessions it knew) must get
// GOAWAY as soon as it becomes an HTTP/2 session, like every other: otherwise it is served as if
// nothing happened, and the drain waits for it until the deadline. Here the drain's deadline is 6 s:
// the late connection gets GOAWAY within a second of its preface, its connection closes, and the drain
// ends long before the deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { CLIENT_PREFACE } from '../../../data-plane/src/protocols/http2/codec/frame.js';
import { startInProcess } from './support/h2-listener.js';
import { FrameType, getRequest, h2ErrorName, RawH2Client, settingsFrame, sleep } from './support/raw-h2-client.js';

const DRAIN_TIMEOUT_MS = 6000;

test('a preface that arrives after the drain began gets GOAWAY at once, and the drain does not wait for the deadline', { timeout: 20_000 }, async (t) => {
  const { port, upstream, mesh, close } = await startInProcess(t, undefined, `{drainTimeoutMs: ${DRAIN_TIMEOUT_MS}}`);
  // Accepted, and only part of the preface: the listener is still sniffing the protocol.
  const late = await RawH2Client.connect(port, { preface: false });
  t.after(() => late.destroy());
  late.write(CLIENT_PREFACE.subarray(0, 10));
  await until('the listener to hold the connection', async () => (await mesh.mesh.listeners.connectionCount()) >= 1, 3000);
  await sleep(100);

  const drainStarted = performance.now();
  let drainedAt = 0;
  const draining = close().then(() => (drainedAt = performance.now()));
  // Well inside the drain's idle grace (1 s): the rest of the preface, SETTINGS and a request.
  await sleep(200);
  const prefaceAt = performance.now();
  late.write(CLIENT_PREFACE.subarray(10), settingsFrame(), late.headers(1, getRequest('/after-drain')));

  const goaway = await late.waitForFrame((f) => f.type === FrameType.GOAWAY, 1500, 'GOAWAY after a preface sent during the drain');
  t.diagnostic(`GOAWAY ${((performance.now() - prefaceAt) | 0)} ms after the preface: ${late.describe(6)}`);
  assert.equal(h2ErrorName(goaway.payload.readUInt32BE(4)), 'NO_ERROR');

  // The connection ends (its request answered in full, or refused), well before the drain's deadline.
  assert.ok(await late.waitForClose(2500), `the late connection is still open ${((performance.now() - drainStarted) | 0)} ms into the drain: ${late.describe(6)}`);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([draining, new Promise((r) => (timer = setTimeout(r, DRAIN_TIMEOUT_MS + 2000)))]);
  clearTimeout(timer);
  assert.ok(drainedAt > 0, 'the drain did not end');
  const took = drainedAt - drainStarted;
  t.diagnostic(`the drain took ${took.toFixed(0)} ms (deadline ${DRAIN_TIMEOUT_MS} ms)`);
  assert.ok(took < DRAIN_TIMEOUT_MS / 2, `the drain took ${took.toFixed(0)} ms: it waited for the late connection until (near) its ${DRAIN_TIMEOUT_MS} ms deadline`);

  const one = late.outcome(1);
  const lastStreamId = Math.max(...late.goaways().map((g) => g.lastStreamId));
  if (lastStreamId < 1) {
    assert.equal(one.status, undefined, 'a stream above the GOAWAY\'s last stream id was answered');
    assert.ok(!upstream.seen.some((r) => r.url === '/after-drain'), 'a stream above the GOAWAY\'s last stream id reached the upstream');
  } else {
    assert.equal(one.status, 200, `stream 1, below the GOAWAY's last stream id, was not answered: ${late.describe(6)}`);
  }
});
