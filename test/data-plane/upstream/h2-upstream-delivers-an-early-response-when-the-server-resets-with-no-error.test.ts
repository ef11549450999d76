// RFC 9113 §8.1: a server may answer before the request body is complete, end its response, and
// then send RST_STREAM NO_ERROR to say "stop sending, I do not need the rest". The client must not
// discard the response: the handler gets the head, the body and onResponseEnd, no onError; what the
// client writes after that is dropped quietly.
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { test } from 'node:test';
import { exchange, poolTo, Recorder, requestOf, settle, startH2Server } from './support/h2-exchange.js';

test('an early 413 then RST_STREAM NO_ERROR while the body is still coming: the response is delivered, not an error', { timeout: 20_000 }, async (t) => {
  let rstSent = -1;
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 413, 'content-type': 'text/plain' });
    // end() then close(NO_ERROR): node sends the END_STREAM first and the RST_STREAM after it.
    stream.end('too large, stop');
    stream.close(constants.NGHTTP2_NO_ERROR);
    stream.on('close', () => (rstSent = stream.rstCode ?? -1));
  });
  const pool = poolTo(t, server.port);
  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('POST', '/upload', ['host', 'upstream.test'], 8 * 1024 * 1024), rec);
  // Some body, then the rest only after the answer came (a client still uploading).
  conn.writeBody(Buffer.alloc(16 * 1024, 1));
  const out = await rec.done;
  assert.deepEqual(out.events.filter((e) => e !== 'drain'), ['head', 'data', 'end'], `events: ${out.events.join(' ')} ${out.error?.message ?? ''}`);
  assert.equal(out.error, undefined);
  assert.equal(out.head?.status, 413);
  assert.equal(out.body.toString(), 'too large, stop');

  // The rest of the upload goes nowhere, quietly.
  for (let i = 0; i < 8; i++) conn.writeBody(Buffer.alloc(64 * 1024, 2));
  conn.endBody();
  await settle();
  assert.ok(!rec.outcome.events.includes('error'), `no onError after the end: ${rec.outcome.events.join(' ')}`);
  assert.equal(rstSent, constants.NGHTTP2_NO_ERROR);
  assert.equal(pool.getStats().active, 0);

  // The session is fine for the next request.
  const next = await exchange(pool, requestOf('GET', '/'));
  assert.equal(next.error, undefined);
  assert.equal(pool.getStats().created, 1);
});

test('an early response while writeBody is waiting for drain: the response is delivered and the wait ends', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(
    t,
    (stream) => {
      // Let the window fill first (read nothing), then answer and reset with NO_ERROR.
      stream.pause();
      setImmediate(() => {
        stream.respond({ ':status': 200 });
        stream.end('done early');
        stream.close(constants.NGHTTP2_NO_ERROR);
      });
    },
    { settings: { initialWindowSize: 16_384 } },
  );
  const pool = poolTo(t, server.port);
  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('POST', '/upload', ['host', 'upstream.test'], 8 * 1024 * 1024), rec);
  let refused = false;
  for (let i = 0; i < 8 && !refused; i++) refused = !conn.writeBody(Buffer.alloc(64 * 1024, 3));
  assert.ok(refused, 'writeBody answered false');
  const out = await rec.done;
  assert.equal(out.error, undefined, `no error: ${out.error?.message} (events ${out.events.join(' ')})`);
  assert.equal(out.head?.status, 200);
  assert.equal(out.body.toString(), 'done early');
  await settle();
  assert.ok(!rec.outcome.events.includes('error'));
});
