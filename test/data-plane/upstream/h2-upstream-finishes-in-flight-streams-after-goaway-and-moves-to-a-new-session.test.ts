// A server that sends GOAWAY (NO_ERROR, graceful shutdown, RFC 9113 §6.8) still answers the streams
// up to its last-stream-id: those complete normally. The session takes no new stream, so the next
// request opens another session; the old one closes once its last stream ended.
import assert from 'node:assert/strict';
import { constants, type ServerHttp2Stream } from 'node:http2';
import { test } from 'node:test';
import { acquireOrError, exchange, once, poolTo, Recorder, requestOf, startH2Server, StreamQueue } from './support/h2-exchange.js';
import { until } from '../../support/until.js';
import { ProxyError, ProxyErrorCode } from '../../../data-plane/src/errors.js';

test('GOAWAY NO_ERROR with a stream in flight: it completes, the next request opens a new session', { timeout: 20_000 }, async (t) => {
  let first = true;
  const server = await startH2Server(t, (stream: ServerHttp2Stream) => {
    if (first) {
      first = false;
      // GOAWAY naming this stream as the last one the server will process, then the answer.
      stream.session!.goaway(constants.NGHTTP2_NO_ERROR, stream.id!);
      stream.respond({ ':status': 200 });
      stream.write('part one, ');
      setImmediate(() => stream.end('part two'));
      return;
    }
    stream.respond({ ':status': 200 });
    stream.end('fresh session');
  });
  const pool = poolTo(t, server.port);

  const out = await exchange(pool, requestOf('GET', '/in-flight'));
  assert.equal(out.error, undefined, `in-flight stream completes: ${out.error?.message}`);
  assert.equal(out.body.toString(), 'part one, part two');

  const out2 = await exchange(pool, requestOf('GET', '/next'));
  assert.equal(out2.error, undefined, `next request: ${out2.error?.message}`);
  assert.equal(out2.body.toString(), 'fresh session');
  assert.equal(pool.getStats().created, 2, 'a second session was opened');
  assert.equal(server.sessions.length, 2);
  // (Whether the client then closes the drained session is not checked against this server: node's
  // server stops reading a session once it sent GOAWAY and has no stream left, so it never sees the
  // client's GOAWAY and FIN; the socket stays half-closed until the server closes its side.)
});

test('GOAWAY with several streams in flight: every one of them completes', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, streams.push);
  const pool = poolTo(t, server.port);
  // One warm exchange first so the three share a session whose SETTINGS are known.
  const warm = exchange(pool, requestOf('GET', '/warm'));
  (await streams.next()).respond({ ':status': 204 }, { endStream: true });
  assert.equal((await warm).error, undefined);

  const outs = [1, 2, 3].map((i) => exchange(pool, requestOf('GET', `/f/${i}`)));
  const held = [await streams.next(), await streams.next(), await streams.next()];
  const session = held[0]!.session!;
  session.goaway(constants.NGHTTP2_NO_ERROR, Math.max(...held.map((s) => s.id!)));
  for (const s of held) {
    s.respond({ ':status': 200 });
    s.end(`answer ${s.id}`);
  }
  const results = await Promise.all(outs);
  results.forEach((r, i) => assert.equal(r.error, undefined, `stream ${i + 1}: ${r.error?.message}`));
  assert.deepEqual(results.map((r) => r.body.toString()).sort(), held.map((s) => `answer ${s.id}`).sort());
  assert.equal(pool.getStats().created, 1);
  await until('no stream counted active', () => pool.getStats().active === 0, 5_000, 5);
  // The server ends its side now; the next request goes to a new session.
  session.close();
  const next = exchange(pool, requestOf('GET', '/after'));
  const fresh = await streams.next();
  fresh.respond({ ':status': 204 }, { endStream: true });
  assert.equal((await next).error, undefined);
  assert.notEqual(fresh.session, session, 'answered on another session');
  assert.equal(pool.getStats().created, 2);
});

test('an idle session that receives GOAWAY is not used again', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  const pool = poolTo(t, server.port);
  assert.equal((await exchange(pool, requestOf('GET', '/1'))).error, undefined);
  const s1 = await server.session(1);
  // The server shuts the idle session down gracefully: GOAWAY, then it closes.
  s1.close();
  await once(s1, 'close');
  // Wait for the pool to hear it: it no longer counts the session.
  await until('the pool dropped the closed session', () => pool.getStats().idle === 0, 5_000, 5);
  const out = await exchange(pool, requestOf('GET', '/2'));
  assert.equal(out.error, undefined, `request after the GOAWAY: ${out.error?.message}`);
  assert.equal(pool.getStats().created, 2);
});

test('a server shutting down (server.close, sessions closed gracefully) finishes the stream in flight; later connects are refused', { timeout: 20_000 }, async (t) => {
  let release: ((s: ServerHttp2Stream) => void) | undefined;
  const inFlight = new Promise<ServerHttp2Stream>((resolve) => (release = resolve));
  const server = await startH2Server(t, (stream) => release!(stream));
  const pool = poolTo(t, server.port, { connectTimeoutMs: 1_000 });

  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('GET', '/slow'), rec);
  const stream = await inFlight;
  const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
  stream.session!.close();
  stream.respond({ ':status': 200 });
  stream.end('finished during shutdown');
  const out = await rec.done;
  assert.equal(out.error, undefined, `in-flight stream completes: ${out.error?.message}`);
  assert.equal(out.body.toString(), 'finished during shutdown');
  await closed;

  const next = await acquireOrError(pool);
  assert.ok(next instanceof ProxyError, 'nothing listens any more: acquire fails');
  assert.equal(next.code, ProxyErrorCode.ConnectFailure);
});
