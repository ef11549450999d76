// A server's PING (RFC 9113 §6.7, liveness checks, gRPC keepalive) is answered with a PING ACK
// carrying the same 8 bytes, on an idle session and on one with a stream in flight.
import assert from 'node:assert/strict';
import type { Http2Session } from 'node:http2';
import { test } from 'node:test';
import { exchange, poolTo, Recorder, requestOf, startH2Server, StreamQueue } from './support/h2-exchange.js';

function ping(session: Http2Session, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sent = session.ping(payload, (err, _duration, echoed) => (err ? reject(err) : resolve(echoed)));
    if (!sent) reject(new Error('ping not sent'));
  });
}

test('a PING from the server on an idle session is answered with its payload', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 204 }, { endStream: true });
  });
  const pool = poolTo(t, server.port);
  assert.equal((await exchange(pool, requestOf('GET', '/'))).error, undefined);
  const session = await server.session(1);
  const payload = Buffer.from('sluice!!');
  const echoed = await ping(session, payload);
  assert.ok(echoed.equals(payload), `echoed ${echoed.toString('hex')}`);
  // Several in a row, and the session still serves.
  for (let i = 0; i < 5; i++) assert.ok((await ping(session, Buffer.from(`ping-00${i}`))).equals(Buffer.from(`ping-00${i}`)));
  assert.equal((await exchange(pool, requestOf('GET', '/'))).error, undefined);
  assert.equal(pool.getStats().created, 1);
});

test('a PING while a stream is in flight is answered and the stream completes', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, streams.push);
  const pool = poolTo(t, server.port);
  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('GET', '/'), rec);
  const stream = await streams.next();
  stream.respond({ ':status': 200 });
  stream.write('before ping, ');
  const echoed = await ping(stream.session!, Buffer.from('12345678'));
  assert.equal(echoed.toString(), '12345678');
  stream.end('after ping');
  const out = await rec.done;
  assert.equal(out.error, undefined);
  assert.equal(out.body.toString(), 'before ping, after ping');
});
