// A session with no stream for idleTimeoutMs is closed (the server sees it go), and a later request
// opens a new one. A session whose stream is merely quiet longer than that is not closed under it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exchange, once, poolTo, Recorder, requestOf, startH2Server, StreamQueue, within } from './support/h2-exchange.js';
import { until } from '../../support/until.js';

const IDLE_MS = 200;

test('an idle session is closed after idleTimeoutMs; the next request opens a new one', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  const pool = poolTo(t, server.port, { idleTimeoutMs: IDLE_MS });
  const started = Date.now();
  assert.equal((await exchange(pool, requestOf('GET', '/1'))).error, undefined);
  const s1 = await server.session(1);
  if (!s1.closed && !s1.destroyed) await once(s1, 'close');
  const closedAfter = Date.now() - started;
  assert.ok(closedAfter >= IDLE_MS - 20, `closed after it was idle for the timeout, not before (${closedAfter} ms)`);
  await until('the pool let go of the idle session', () => pool.getStats().idle === 0, 5_000, 5);

  const second = await exchange(pool, requestOf('GET', '/2'));
  assert.equal(second.error, undefined, second.error?.message);
  assert.equal(pool.getStats().created, 2, 'a new session');
  assert.equal(server.sessions.length, 2);
});

test('a stream quiet for longer than idleTimeoutMs keeps its session; once idle, it closes', { timeout: 20_000 }, async (t) => {
  const streams = new StreamQueue();
  const server = await startH2Server(t, streams.push);
  const pool = poolTo(t, server.port, { idleTimeoutMs: IDLE_MS });
  const conn = await pool.acquire();
  const rec = new Recorder();
  conn.send(requestOf('GET', '/slow'), rec);
  const stream = await streams.next();
  const session = stream.session!;
  let closedEarly = false;
  session.once('close', () => (closedEarly = !rec.outcome.ended));
  // Quiet for three idle timeouts: a timer of the stream, not a wait for an event (nothing happens).
  await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_MS));
  assert.equal(closedEarly, false, 'not closed while its stream was open');
  stream.respond({ ':status': 200 });
  stream.end('late answer');
  const out = await rec.done;
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(out.body.toString(), 'late answer');
  const closed = await within(session.closed || session.destroyed ? Promise.resolve() : once(session, 'close'), 10 * IDLE_MS);
  assert.notEqual(closed, 'timeout', `closed once idle for idleTimeoutMs after its stream ended (pool: ${JSON.stringify(pool.getStats())})`);
  assert.equal(pool.getStats().created, 1);
});

test('a session kept busy by back-to-back requests is not closed between them', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 204 }, { endStream: true });
  });
  const pool = poolTo(t, server.port, { idleTimeoutMs: IDLE_MS });
  const until = Date.now() + 3 * IDLE_MS;
  let n = 0;
  while (Date.now() < until) {
    const out = await exchange(pool, requestOf('GET', `/${n++}`));
    assert.equal(out.error, undefined);
  }
  assert.equal(pool.getStats().created, 1, `${n} requests on one session`);
});
