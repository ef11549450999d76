// A request body far larger than the server's stream window (SETTINGS_INITIAL_WINDOW_SIZE 16 KiB)
// goes through whole and in order: the client sends only what the window allows, writeBody answers
// false while it cannot take more, and onRequestDrain says when to go on.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { poolTo, Recorder, requestOf, startH2Server, upload } from './support/h2-exchange.js';

const BODY_BYTES = 4 * 1024 * 1024;

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

test('a 4 MiB body reaches a server with a 16 KiB stream window intact, writeBody pausing for drain', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(
    t,
    (stream) => {
      const hash = createHash('sha256');
      let bytes = 0;
      stream.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-bytes': String(bytes) });
        stream.end(hash.digest('hex'));
      });
    },
    { settings: { initialWindowSize: 16_384 } },
  );
  const pool = poolTo(t, server.port);
  const body = randomBytes(BODY_BYTES);

  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('POST', '/upload', ['host', 'upstream.test', 'content-type', 'application/octet-stream'], body.length), rec);
  const refusals = await upload(conn, rec, body, 64 * 1024);
  const out = await rec.done;

  assert.equal(out.error, undefined, `no error: ${out.error?.message}`);
  assert.equal(out.head?.status, 200);
  assert.equal(out.head?.headers.get('x-bytes'), String(BODY_BYTES));
  assert.equal(out.body.toString(), sha256(body), 'the server hashed the same bytes');
  assert.ok(refusals > 0, 'writeBody answered false at least once');
  assert.ok(rec.drains >= refusals, `every false was followed by onRequestDrain (${refusals} false, ${rec.drains} drains)`);
});

test('several uploads at once on one session share the connection window and all arrive intact', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(
    t,
    (stream) => {
      const hash = createHash('sha256');
      stream.on('data', (c: Buffer) => hash.update(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(hash.digest('hex'));
      });
    },
    { settings: { initialWindowSize: 16_384 } },
  );
  const pool = poolTo(t, server.port);
  const bodies = [0, 1, 2, 3].map(() => randomBytes(1024 * 1024));
  const first = await pool.acquire();
  const conns = [first, ...(await Promise.all([1, 2, 3].map(() => pool.acquire())))];
  const results = await Promise.all(
    conns.map(async (conn, i) => {
      const rec = new Recorder();
      conn.send(requestOf('POST', `/upload/${i}`, ['host', 'upstream.test'], bodies[i]!.length), rec);
      await upload(conn, rec, bodies[i]!, 32 * 1024);
      return await rec.done;
    }),
  );
  results.forEach((out, i) => {
    assert.equal(out.error, undefined, `upload ${i}: ${out.error?.message}`);
    assert.equal(out.body.toString(), sha256(bodies[i]!), `upload ${i} intact`);
  });
  assert.equal(pool.getStats().created, 1, 'all four on one session');
});
