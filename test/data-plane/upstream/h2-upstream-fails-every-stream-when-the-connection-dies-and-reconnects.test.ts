// The upstream's connection dies (the server's socket destroyed, no GOAWAY) with three streams in
// flight: each of the three fails with an upstream reset (none is left waiting), and the next request
// opens a new session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { exchange, poolTo, Recorder, requestOf, startH2Server, StreamQueue, within } from './support/h2-exchange.js';

test('socket destroyed under 3 streams: all 3 get onError UpstreamReset; the next exchange works on a new session', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, (stream, headers) => {
    if (headers[':path'] === '/after') {
      stream.respond({ ':status': 200 });
      stream.end('new session');
      return;
    }
    streams.push(stream, headers);
  });
  const pool = poolTo(t, server.port);

  const recs = [new Recorder(), new Recorder(), new Recorder()];
  const first = await pool.acquire();
  const conns = [first, await pool.acquire(), await pool.acquire()];
  conns.forEach((c, i) => c.send(requestOf('GET', `/held/${i}`), recs[i]!));
  await streams.reached(3);
  // One answered in part, one with its head only, one not at all.
  const [a, b] = [await streams.byPath('/held/0'), await streams.byPath('/held/1')];
  a.respond({ ':status': 200 });
  a.write('partial body');
  b.respond({ ':status': 200 });
  await recs[0]!.dataReached('partial body'.length);
  await recs[1]!.headSeen;

  server.killSocket(a.session!);
  const outs = await within(Promise.all(recs.map((r) => r.done)), 5_000);
  assert.notEqual(outs, 'timeout', `every exchange ended (events: ${recs.map((r) => r.outcome.events.join(',')).join(' | ')})`);
  if (outs === 'timeout') return;
  // A truncated response must not look complete: no onResponseEnd, one onError each.
  assert.deepEqual(
    outs.map((out) => `${out.error?.code ?? 'no error'}: ${out.events.join(' ')}`),
    [`${ProxyErrorCode.UpstreamReset}: head data error`, `${ProxyErrorCode.UpstreamReset}: head error`, `${ProxyErrorCode.UpstreamReset}: error`],
  );
  assert.equal(pool.getStats().active, 0, 'no stream still counted');

  const next = await exchange(pool, requestOf('GET', '/after'));
  assert.equal(next.error, undefined, `next exchange: ${next.error?.message}`);
  assert.equal(next.body.toString(), 'new session');
  assert.equal(pool.getStats().created, 2);
});

test('the connection dies while a request body is being uploaded: the upload stops with onError', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, streams.push, { settings: { initialWindowSize: 16_384 } });
  const pool = poolTo(t, server.port);
  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('POST', '/upload', ['host', 'upstream.test'], 10 * 1024 * 1024), rec);
  const stream = await streams.next();
  // The server reads nothing: the window fills, writeBody answers false, and the socket dies.
  stream.pause();
  let refused = false;
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let i = 0; i < 160 && !refused; i++) refused = !conn.writeBody(chunk);
  assert.ok(refused, 'writeBody answered false once the window was full');
  server.killSocket(stream.session!);
  const out = await within(rec.done, 5_000);
  assert.notEqual(out, 'timeout', 'the exchange ended');
  if (out === 'timeout') return;
  assert.equal(out.error?.code, ProxyErrorCode.UpstreamReset, `events: ${out.events.join(' ')}`);
  // Writing to a dead exchange neither throws nor calls back.
  conn.writeBody(chunk);
  conn.endBody();
  conn.abort();
});
