// Connecting can fail two ways, and neither may leave a request waiting forever:
// - nothing listens: acquire() rejects with SLUICE_PROXY_CONNECT_FAILURE (503, retryable);
// - something accepts the TCP connection but never speaks HTTP/2 (a wedged process, a port that is
//   not an HTTP/2 server). RFC 9113 §3.4: the server's connection preface (a SETTINGS frame) must be
//   the first thing it sends, so a connection that has not received it is not yet established. What
//   an Envoy user expects is a connect (handshake) timeout within the cluster's connectTimeoutMs,
//   SLUICE_PROXY_CONNECT_TIMEOUT (504, retryable), not a request stuck until some other timer.
//
// What the node:http2-based implementation does with the silent server: node's client session emits
// 'connect' as soon as TCP is up (it does not wait for the server's SETTINGS), so the pool counts the
// session created, acquire() resolves, the request is written, and the exchange then waits with no
// timer of its own: nothing fails within connectTimeoutMs (only the route's timeout would end it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyError, ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { freePort } from '../../support/free-port.js';
import { acquireOrError, poolTo, Recorder, requestOf, startRawServer, within } from './support/h2-exchange.js';

test('connection refused: acquire rejects with SLUICE_PROXY_CONNECT_FAILURE and the failure is counted', { timeout: 20_000 }, async (t) => {
  const port = await freePort();
  const pool = poolTo(t, port, { connectTimeoutMs: 2_000 });
  const result = await acquireOrError(pool);
  assert.ok(result instanceof ProxyError, 'acquire rejected');
  assert.equal(result.code, ProxyErrorCode.ConnectFailure);
  assert.equal(result.retryable, true);
  assert.equal(pool.getStats().connectFailures, 1);
  assert.equal(pool.getStats().created, 0);

  // A second attempt tries again (no failed session is cached) and fails the same way.
  const again = await acquireOrError(pool);
  assert.ok(again instanceof ProxyError);
  assert.equal(again.code, ProxyErrorCode.ConnectFailure);
  assert.equal(pool.getStats().connectFailures, 2);
});

test('a server that accepts TCP but never sends its SETTINGS: the request fails with a connect timeout, not a hang', { timeout: 20_000 }, async (t) => {
  const CONNECT_TIMEOUT_MS = 300;
  let bytesFromClient = 0;
  const raw = await startRawServer(t, (socket) => socket.on('data', (d: Buffer) => (bytesFromClient += d.length)));
  const pool = poolTo(t, raw.port, { connectTimeoutMs: CONNECT_TIMEOUT_MS });

  const started = Date.now();
  const rec = new Recorder();
  let conn: Awaited<ReturnType<typeof pool.acquire>> | undefined;
  const outcome = (async (): Promise<ProxyError | undefined> => {
    const acquired = await acquireOrError(pool);
    if (acquired instanceof ProxyError) return acquired;
    conn = acquired;
    acquired.send(requestOf('GET', '/'), rec);
    return (await rec.done).error;
  })();
  // Generous against a loaded machine, far below any request timeout.
  const result = await within(outcome, CONNECT_TIMEOUT_MS + 2_000);
  const elapsed = Date.now() - started;
  // Whatever happened, nothing may stay open after the test.
  conn?.abort();
  for (const s of raw.sockets) s.destroy();

  assert.ok(raw.sockets.length >= 1, 'the TCP connection was made');
  assert.ok(bytesFromClient >= 24, 'the client sent its preface');
  assert.notEqual(result, 'timeout', `the exchange ended within ${CONNECT_TIMEOUT_MS} ms + slack (still waiting after ${elapsed} ms; stats ${JSON.stringify(pool.getStats())})`);
  assert.ok(result instanceof ProxyError, 'it ended in an error');
  assert.equal(result.code, ProxyErrorCode.ConnectTimeout, `a connect timeout: ${result.message}`);
  assert.ok(elapsed >= CONNECT_TIMEOUT_MS - 20, `not before the timeout (${elapsed} ms)`);
  assert.equal(pool.getStats().connectFailures, 1);
});

test('a server that closes every connection at once: the request fails, it does not hang', { timeout: 20_000 }, async (t) => {
  const raw = await startRawServer(t, (socket) => socket.destroy());
  const pool = poolTo(t, raw.port, { connectTimeoutMs: 1_000 });
  const rec = new Recorder();
  const outcome = (async (): Promise<ProxyError | undefined> => {
    const acquired = await acquireOrError(pool);
    if (acquired instanceof ProxyError) return acquired;
    acquired.send(requestOf('GET', '/'), rec);
    return (await rec.done).error;
  })();
  const result = await within(outcome, 3_000);
  assert.notEqual(result, 'timeout', 'the exchange ended');
  assert.ok(result instanceof ProxyError, `it ended in an error (events: ${rec.outcome.events.join(' ')})`);
  assert.ok(
    [ProxyErrorCode.ConnectFailure, ProxyErrorCode.UpstreamReset].includes(result.code as never),
    `a connect failure or an upstream reset: ${result.code} ${result.message}`,
  );
});
