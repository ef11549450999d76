// An HTTP/2 connection with no stream open closes after the listener's idleTimeoutMs (docs/limits.md):
// GOAWAY NO_ERROR, then the close, both for a connection that never opened a stream and for one whose
// last stream ended. (headerTimeoutMs, which bounds a connection that never sends a request, is set
// well above the idle timeout here so the two cannot be confused.) A connection with a stream in
// flight is not idle: it gets no GOAWAY while the stream waits on a slow upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startInProcess } from './support/h2-listener.js';
import { getRequest, h2ErrorName, RawH2Client } from './support/raw-h2-client.js';

const IDLE_TIMEOUT_MS = 800;
const LIMITS = `{idleTimeoutMs: ${IDLE_TIMEOUT_MS}, headerTimeoutMs: 20000}`;

function closedWithin(ms: number, what: string): void {
  assert.ok(ms >= IDLE_TIMEOUT_MS - 100 && ms <= IDLE_TIMEOUT_MS + 1500, `${what}: closed ${ms.toFixed(0)} ms after its last activity; idleTimeoutMs is ${IDLE_TIMEOUT_MS}`);
}

test('a connection that never opens a stream closes after idleTimeoutMs with GOAWAY NO_ERROR', { timeout: 15_000 }, async (t) => {
  const { port } = await startInProcess(t, undefined, LIMITS);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  const from = performance.now();
  assert.ok(await client.waitForClose(IDLE_TIMEOUT_MS + 3000), `still open ${IDLE_TIMEOUT_MS + 3000} ms later: ${client.describe(3)}`);
  closedWithin(client.closedAt - from, 'no stream');
  const g = client.goaways();
  assert.ok(g.length >= 1, `no GOAWAY before the close: ${client.describe(3)}`);
  assert.deepEqual(g.map((x) => h2ErrorName(x.code)), g.map(() => 'NO_ERROR'));
});

test('a connection whose last stream ended closes after idleTimeoutMs', { timeout: 15_000 }, async (t) => {
  const { port } = await startInProcess(t, undefined, LIMITS);
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  client.request(1, getRequest('/quick'));
  assert.equal((await client.waitForStreamEnd(1, 3000)).status, 200);
  const from = performance.now();
  assert.ok(await client.waitForClose(IDLE_TIMEOUT_MS + 3000), `still open ${IDLE_TIMEOUT_MS + 3000} ms after its last stream: ${client.describe(3)}`);
  closedWithin(client.closedAt - from, 'after its last stream');
  const g = client.goaways();
  assert.ok(g.length >= 1, `no GOAWAY before the close: ${client.describe(3)}`);
  assert.deepEqual(g.map((x) => h2ErrorName(x.code)), g.map(() => 'NO_ERROR'));
  assert.ok(g.every((x) => x.lastStreamId === 1), `the GOAWAY's last stream id: ${client.describe(3)}`);
});

test('a stream in flight for twice idleTimeoutMs keeps the connection from being idle: no GOAWAY until it ends', { timeout: 15_000 }, async (t) => {
  const { port } = await startInProcess(
    t,
    (req, res) => {
      req.resume();
      setTimeout(() => res.end('late'), IDLE_TIMEOUT_MS * 2);
    },
    LIMITS,
  );
  const client = await RawH2Client.connect(port);
  t.after(() => client.destroy());
  await client.roundTrip();
  // The upstream takes twice the idle timeout to answer: the connection is busy, not idle, all along
  // (Envoy's idle_timeout counts only time with no active stream).
  client.request(1, getRequest('/slow'));
  const slow = await client.waitForStreamEnd(1, IDLE_TIMEOUT_MS * 2 + 3000);
  assert.equal(slow.status, 200);
  assert.equal(slow.body.toString(), 'late');
  assert.equal(client.goaways().length, 0, `GOAWAY while a stream was in flight: ${client.describe(10)}`);
  // And the next request on the same connection is served.
  client.request(3, getRequest('/next'));
  assert.equal((await client.waitForStreamEnd(3, 3000)).status, 200);
});
