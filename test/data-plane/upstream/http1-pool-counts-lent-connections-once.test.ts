// The HTTP/1 pool counts the connections it has lent out: a connection given back and later closed
// while idle, or closed while lent and then reported twice, is counted down once.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { ConnectionPool } from '../../../data-plane/src/upstream/connection-pool.js';
import { until } from '../../support/until.js';

test('the HTTP/1 pool counts each lent connection once, however it ends', { timeout: 20_000 }, async (t) => {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pool = new ConnectionPool('127.0.0.1', (server.address() as AddressInfo).port);
  t.after(async () => {
    pool.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const a = await pool.acquire();
  const b = await pool.acquire();
  assert.deepEqual([pool.getStats().active, pool.getStats().idle], [2, 0]);
  pool.release(a);
  assert.deepEqual([pool.getStats().active, pool.getStats().idle], [1, 1]);
  // Closed while idle: it leaves the idle list; the lent count does not move.
  a.destroy();
  assert.deepEqual([pool.getStats().active, pool.getStats().idle], [1, 0]);
  // Closed while lent, then reported again (the pool hears of a close once per cause).
  b.destroy();
  pool.forget(b);
  assert.deepEqual([pool.getStats().active, pool.getStats().idle], [0, 0]);
  // The upstream closing a lent connection counts it down too.
  const c = await pool.acquire();
  assert.equal(pool.getStats().active, 1);
  await until('the server holds the connection', () => sockets.size > 0, 5_000);
  for (const s of sockets) s.destroy();
  await until('the pool heard of the close', () => c.closed, 5_000);
  assert.equal(pool.getStats().active, 0);
  assert.equal(pool.getStats().created, 3);
});
