// close() while a connection is still connecting (the server's SETTINGS are late) and exchanges wait
// for it: the waiters are rejected, the connection is closed when it finishes connecting rather than
// kept, and acquire() after close() is rejected rather than opening a new connection. (close() used
// to leave the pending connection open for good, and acquire() after it succeeded.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settingsFrame } from '../../../data-plane/src/protocols/http2/codec/frame-writer.js';
import { ProxyError } from '../../../data-plane/src/errors.js';
import { delay, poolTo, RawH2Server, waitUntil, within } from './support/raw-h2-server.js';

test('pool.close() rejects waiters, leaves no session open, and refuses later acquires', { timeout: 10_000 }, async (t) => {
  const server = await RawH2Server.start((conn) => {
    setTimeout(() => conn.write(settingsFrame([])), 100); // ready a little after close()
  });
  const pool = poolTo(t, server);

  const outcomes = [Promise.resolve(pool.acquire()), Promise.resolve(pool.acquire())].map((p) =>
    p.then(
      () => 'acquired',
      (err: unknown) => err,
    ),
  );
  await waitUntil(() => server.connections.length === 1, 2000, 'the connection being accepted');
  await delay(20);
  pool.close();
  const results = await within(Promise.all(outcomes), 1000, 'the waiters hearing of close()');
  for (const r of results) {
    assert.ok(r instanceof ProxyError, `a waiter is rejected: ${String(r)}`);
    assert.match(r.message, /closed/);
  }

  // The connection finishes connecting after close(): it is closed, not kept.
  const conn = server.connections[0]!;
  await within(conn.whenClosed(), 2000, 'the client closing the connection that became ready after close()');
  assert.deepEqual([pool.getStats().idle, pool.getStats().active], [0, 0], 'no session held');

  const late = await Promise.resolve(pool.acquire()).then(
    () => 'acquired',
    (err: unknown) => err,
  );
  assert.ok(late instanceof ProxyError, `acquire() after close() is rejected: ${String(late)}`);
  await delay(50);
  assert.equal(server.connections.length, 1, 'no connection opened after close()');
});
