// abort() in the middle of a response cancels that stream (RST_STREAM CANCEL, RFC 9113 §8.7), not the
// connection its neighbours share: the server sees the stream closed with code 8, no callback follows
// on the aborted exchange, and the next exchange goes on the same session.
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { test } from 'node:test';
import { exchange, once, poolTo, Recorder, requestOf, settle, startH2Server, StreamQueue } from './support/h2-exchange.js';

test('abort() mid-response: the server sees RST_STREAM CANCEL (8); the session carries the next exchange', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, (stream, headers) => {
    if (headers[':path'] === '/next') {
      stream.respond({ ':status': 200 });
      stream.end('next');
      return;
    }
    streams.push(stream, headers);
  });
  const pool = poolTo(t, server.port);

  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('GET', '/long'), rec);
  const stream = await streams.next();
  const closed = once(stream, 'close');
  stream.respond({ ':status': 200 });
  stream.write(Buffer.alloc(32 * 1024, 'x'));
  await rec.dataReached(1);
  conn.abort();
  await closed;
  assert.equal(stream.rstCode, constants.NGHTTP2_CANCEL, 'closed by RST_STREAM CANCEL');

  // The server keeps writing into the cancelled stream; the aborted exchange hears nothing more.
  const eventsAtAbort = rec.outcome.events.length;
  await settle();
  assert.equal(rec.outcome.events.length, eventsAtAbort, `no callback after abort(): ${rec.outcome.events.slice(eventsAtAbort).join(' ')}`);
  assert.equal(pool.getStats().active, 0, 'the stream slot is free');

  const next = await exchange(pool, requestOf('GET', '/next'));
  assert.equal(next.error, undefined, next.error?.message);
  assert.equal(next.body.toString(), 'next');
  assert.equal(pool.getStats().created, 1, 'the same session');
  assert.equal(server.sessions.length, 1);
});

test('abort() while the request body is still being sent cancels the stream too', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, (stream, headers) => {
    if (headers[':path'] === '/next') {
      stream.respond({ ':status': 204 }, { endStream: true });
      return;
    }
    streams.push(stream, headers);
  });
  const pool = poolTo(t, server.port);
  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('POST', '/upload', ['host', 'upstream.test'], 1024 * 1024), rec);
  conn.writeBody(Buffer.alloc(16 * 1024, 1));
  const stream = await streams.next();
  const closed = once(stream, 'close');
  const before = rec.outcome.events.length;
  conn.abort();
  await closed;
  assert.equal(stream.rstCode, constants.NGHTTP2_CANCEL);
  await settle();
  assert.deepEqual(rec.outcome.events.slice(before), [], 'no callback after abort()');
  assert.ok(!rec.outcome.events.includes('error') && !rec.outcome.events.includes('end'));
  const next = await exchange(pool, requestOf('GET', '/next'));
  assert.equal(next.error, undefined);
  assert.equal(pool.getStats().created, 1);
});

test('aborting one of two streams leaves the other running', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, streams.push);
  const pool = poolTo(t, server.port);
  const warm = exchange(pool, requestOf('GET', '/warm'));
  (await streams.byPath('/warm')).respond({ ':status': 204 }, { endStream: true });
  await warm;

  const [c1, c2] = [await pool.acquire(), await pool.acquire()];
  const [r1, r2] = [new Recorder(), new Recorder()];
  c1.send(requestOf('GET', '/a'), r1);
  c2.send(requestOf('GET', '/b'), r2);
  const [a, b] = [await streams.byPath('/a'), await streams.byPath('/b')];
  a.respond({ ':status': 200 });
  b.respond({ ':status': 200 });
  a.write('a-part');
  b.write('b-part ');
  await r1.dataReached(1);
  const aClosed = once(a, 'close');
  c1.abort();
  await aClosed;
  b.end('b-end');
  const out = await r2.done;
  assert.equal(out.error, undefined);
  assert.equal(out.body.toString(), 'b-part b-end');
  assert.equal(pool.getStats().created, 1);
});
