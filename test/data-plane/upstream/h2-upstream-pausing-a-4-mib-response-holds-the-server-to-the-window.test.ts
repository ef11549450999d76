// A handler that cannot keep up returns false from onResponseData; the stream then stops taking body
// and its flow-control window stops opening, so the server cannot push more than about one stream
// window past what the handler has taken (RFC 9113 §5.2). resumeResponse() lets it go on; the body
// arrives whole and in order.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { ServerHttp2Stream } from 'node:http2';
import { test } from 'node:test';
import { poolTo, Recorder, requestOf, settle, startH2Server } from './support/h2-exchange.js';

const BODY_BYTES = 4 * 1024 * 1024;
const PAUSE_EVERY = 256 * 1024;
/**
 * How far the server may get ahead of the handler while it is paused: the client's stream window
 * (256 KiB, h2-settings.ts) plus what sits in buffers on the way. Far below the 4 MiB body (and below
 * the 4 MiB connection window), so a client that kept opening the window while paused would fail.
 */
const MAX_LEAD_BYTES = 1024 * 1024;

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Writes `body` in 16 KiB pieces as fast as the stream takes them; `sent` counts pieces whose write completed. */
function serve(stream: ServerHttp2Stream, body: Buffer, progress: { sent: number }): void {
  stream.respond({ ':status': 200, 'content-length': String(body.length) });
  let at = 0;
  const pump = (): void => {
    while (at < body.length) {
      const piece = body.subarray(at, at + 16 * 1024);
      at += piece.length;
      const more = stream.write(piece, (err) => {
        if (!err) progress.sent += piece.length;
      });
      if (!more) {
        stream.once('drain', pump);
        return;
      }
    }
    stream.end();
  };
  pump();
}

test('a handler pausing every 256 KiB gets all 4 MiB intact, and a paused stream holds the server back', { timeout: 20_000 }, async (t) => {
  const body = randomBytes(BODY_BYTES);
  const progress = { sent: 0 };
  const server = await startH2Server(t, (stream) => serve(stream, body, progress));
  const pool = poolTo(t, server.port);

  const conn = await pool.acquire();
  let nextPause = PAUSE_EVERY;
  let pauses = 0;
  let longPauseLead = -1;
  let maxLead = 0;
  let deliveredWhilePaused = 0;
  let paused = false;
  const rec = new Recorder((_chunk, received) => {
    if (paused) deliveredWhilePaused++;
    if (received < nextPause) return true;
    nextPause += PAUSE_EVERY;
    pauses++;
    paused = true;
    const resume = (): void => {
      maxLead = Math.max(maxLead, progress.sent - rec.received);
      paused = false;
      conn.resumeResponse();
    };
    // The first pause is long enough for the server to fill every window it has; the rest are short.
    if (pauses === 1) {
      void settle(300).then(() => {
        longPauseLead = progress.sent - rec.received;
        resume();
      });
    } else {
      setImmediate(resume);
    }
    return false;
  });
  conn.send(requestOf('GET', '/big'), rec);
  const out = await rec.done;

  t.diagnostic(`server lead after the long pause: ${longPauseLead} bytes; largest lead at a resume: ${maxLead}`);
  assert.equal(out.error, undefined, `no error: ${out.error?.message}`);
  assert.equal(out.body.length, BODY_BYTES);
  assert.equal(sha256(out.body), sha256(body), 'body intact and in order');
  assert.ok(pauses >= 15, `paused ${pauses} times`);
  assert.equal(deliveredWhilePaused, 0, 'no onResponseData between a false and resumeResponse()');
  assert.ok(longPauseLead >= 0, 'the long pause was measured');
  assert.ok(longPauseLead <= MAX_LEAD_BYTES, `while paused 300 ms the server got only ${longPauseLead} bytes ahead (at most ${MAX_LEAD_BYTES})`);
  assert.ok(maxLead <= MAX_LEAD_BYTES, `the server was never more than ${maxLead} bytes ahead at a resume`);
});

test('a paused stream does not stall another stream on the same session', { timeout: 20_000 }, async (t) => {
  const big = randomBytes(BODY_BYTES);
  const small = randomBytes(512 * 1024);
  const progress = { sent: 0 };
  const server = await startH2Server(t, (stream, headers) => serve(stream, headers[':path'] === '/big' ? big : small, headers[':path'] === '/big' ? progress : { sent: 0 }));
  const pool = poolTo(t, server.port);

  const a = await pool.acquire();
  let resumed = false;
  const paused = new Recorder((_c, received) => received < PAUSE_EVERY || resumed);
  a.send(requestOf('GET', '/big'), paused);
  await paused.dataReached(PAUSE_EVERY);

  // While the first stream is held, a second one on the same session completes.
  const b = await pool.acquire();
  const other = new Recorder();
  b.send(requestOf('GET', '/small'), other);
  const out = await other.done;
  assert.equal(out.error, undefined);
  assert.equal(sha256(out.body), sha256(small));
  assert.equal(pool.getStats().created, 1, 'both on one session');

  resumed = true;
  a.resumeResponse();
  const first = await paused.done;
  assert.equal(first.error, undefined);
  assert.equal(sha256(first.body), sha256(big));
});
