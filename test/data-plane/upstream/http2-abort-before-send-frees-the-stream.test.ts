// A request can be aborted after its HTTP/2 stream slot was taken but before anything was sent (the
// client went away, a route timeout fired while a filter ran). The slot must go back to the session:
// else the session counts a stream that never ends, is never closed as idle, and at
// max_concurrent_streams refuses every later request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { DEFAULT_POOL_OPTIONS } from '../../../data-plane/src/upstream/connection-pool.js';
import { Http2SessionPool } from '../../../data-plane/src/upstream/http2-session-pool.js';

test('aborting an HTTP/2 exchange before send() gives its stream slot back', { timeout: 20_000 }, async (t) => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = new Http2SessionPool('127.0.0.1', (server.address() as AddressInfo).port, { ...DEFAULT_POOL_OPTIONS, maxConcurrentStreams: 2 });
  const sessions = new Set<import('node:http2').ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  // A leaked slot keeps the client session open: destroy the server's side so the test ends either way.
  t.after(async () => {
    pool.close();
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (let i = 0; i < 5; i++) {
    const exchange = await pool.acquire();
    assert.equal(pool.getStats().active, 1, 'the slot is taken');
    exchange.abort();
    assert.equal(pool.getStats().active, 0, `abort #${i + 1} gave the slot back`);
  }
  // Aborting twice releases once.
  const again = await pool.acquire();
  again.abort();
  again.abort();
  assert.equal(pool.getStats().active, 0);
  assert.equal(pool.getStats().created, 1, 'every exchange used the one session');
});
