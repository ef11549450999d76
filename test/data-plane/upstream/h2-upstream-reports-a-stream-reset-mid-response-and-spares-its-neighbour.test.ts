// A server that resets one stream mid-response (RST_STREAM INTERNAL_ERROR after some body) fails
// that exchange, as an upstream reset (retryable, 502), and only it: another stream on the same
// session completes, and the session stays in use.
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { test } from 'node:test';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { exchange, poolTo, Recorder, requestOf, settle, startH2Server, StreamQueue } from './support/h2-exchange.js';

test('RST_STREAM INTERNAL_ERROR after some body: onError UpstreamReset; the neighbour stream completes', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, streams.push);
  const pool = poolTo(t, server.port);
  // A warm session, so both exchanges below share it.
  const warm = exchange(pool, requestOf('GET', '/warm'));
  (await streams.next()).respond({ ':status': 204 }, { endStream: true });
  assert.equal((await warm).error, undefined);

  const doomedConn = await pool.acquire();
  const doomed = new Recorder();
  doomedConn.send(requestOf('GET', '/doomed'), doomed);
  const neighbourConn = await pool.acquire();
  const neighbour = new Recorder();
  neighbourConn.send(requestOf('GET', '/neighbour'), neighbour);
  const bad = await streams.byPath('/doomed');
  const good = await streams.byPath('/neighbour');
  bad.respond({ ':status': 200 });
  bad.write(Buffer.alloc(1000, 'a'));
  good.respond({ ':status': 200 });
  good.write('first half, ');
  await doomed.dataReached(1000);
  // Not stream.close(INTERNAL_ERROR): node's server ends the stream (an empty DATA frame with END_STREAM)
  // before the RST_STREAM then, so the response is complete at the client. destroy(error) sends RST_STREAM
  // INTERNAL_ERROR alone.
  bad.destroy(new Error('server gives up on this stream'));
  const out = await doomed.done;
  assert.equal(bad.rstCode, constants.NGHTTP2_INTERNAL_ERROR, 'the server reset with INTERNAL_ERROR');
  assert.equal(out.error?.code, ProxyErrorCode.UpstreamReset, `reset reported as UpstreamReset: ${out.error?.message} (events: ${out.events.join(" ")}, body ${out.body.length} bytes)`);
  assert.equal(out.head?.status, 200, 'the head had arrived');
  assert.ok(!out.events.includes('end'), 'no onResponseEnd');
  assert.equal(out.events.filter((e) => e === 'error').length, 1, 'onError once');

  good.end('second half');
  const ok = await neighbour.done;
  assert.equal(ok.error, undefined, `neighbour: ${ok.error?.message}`);
  assert.equal(ok.body.toString(), 'first half, second half');

  // No late callback on the failed exchange, and the session carries on.
  await settle();
  assert.equal(out.events.at(-1), 'error');
  const after = exchange(pool, requestOf('GET', '/after'));
  (await streams.byPath('/after')).respond({ ':status': 204 }, { endStream: true });
  assert.equal((await after).error, undefined);
  assert.equal(pool.getStats().created, 1, 'one session throughout');
});

test('RST_STREAM before any response head: onError UpstreamReset', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('GET', '/'));
  assert.equal(out.error?.code, ProxyErrorCode.UpstreamReset);
  assert.deepEqual(out.events, ['error']);
});

test('REFUSED_STREAM is an upstream reset too (the request was not processed: safe to retry)', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM));
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('POST', '/', ['host', 'upstream.test'], 3), Buffer.from('abc'));
  assert.equal(out.error?.code, ProxyErrorCode.UpstreamReset);
  assert.equal(out.error?.retryable, true);
});
