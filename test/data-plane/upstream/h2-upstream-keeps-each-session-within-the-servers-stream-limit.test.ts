// A server's SETTINGS_MAX_CONCURRENT_STREAMS caps how many streams one session carries at once
// (RFC 9113 §5.1.2: a client must not open more). The pool's design (http2-session-pool.ts) is
// Envoy's: when every session is at its limit, another session opens, so 20 requests held open at a
// server that allows 3 streams per connection run at once on 7 sessions, none over 3.
import assert from 'node:assert/strict';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import { test } from 'node:test';
import { poolTo, Recorder, requestOf, startH2Server, within, type ExchangeOutcome } from './support/h2-exchange.js';

const REQUESTS = 20;
const SERVER_LIMIT = 3;

interface Tracker {
  /** Open streams per server session now, and the most ever seen on one. */
  open: Map<Http2Session, number>;
  maxOnOneSession: number;
  held: ServerHttp2Stream[];
  /** Resolves when `n` streams are held at once. */
  heldReached(n: number): Promise<void>;
  releaseAll(): void;
}

function tracker(): { track: (stream: ServerHttp2Stream) => void; state: Tracker } {
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let releasing = false;
  const answer = (s: ServerHttp2Stream): void => {
    if (s.destroyed) return;
    s.respond({ ':status': 200 });
    s.end('done');
  };
  const state: Tracker = {
    open: new Map(),
    maxOnOneSession: 0,
    held: [],
    heldReached: (n) => (state.held.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    releaseAll: () => {
      releasing = true;
      for (const s of state.held.splice(0)) answer(s);
    },
  };
  const track = (stream: ServerHttp2Stream): void => {
    const session = stream.session!;
    const n = (state.open.get(session) ?? 0) + 1;
    state.open.set(session, n);
    state.maxOnOneSession = Math.max(state.maxOnOneSession, n);
    stream.on('close', () => state.open.set(session, state.open.get(session)! - 1));
    if (releasing) return answer(stream);
    state.held.push(stream);
    for (const w of waiters.filter((w) => state.held.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  return { track, state };
}

async function startAll(pool: ReturnType<typeof poolTo>): Promise<Array<Promise<ExchangeOutcome>>> {
  return Array.from({ length: REQUESTS }, async (_, i) => {
    const conn = await pool.acquire();
    const rec = new Recorder();
    conn.send(requestOf('GET', `/held/${i}`), rec);
    return await rec.done;
  });
}

test('no server session ever carries more than its 3 streams, and all 20 exchanges finish', { timeout: 20_000 }, async (t) => {
  const { track, state } = tracker();
  const server = await startH2Server(t, track, { settings: { maxConcurrentStreams: SERVER_LIMIT } });
  const pool = poolTo(t, server.port);

  const outcomes = await startAll(pool);
  // Hold streams as they come; once no new one arrives for a moment (whether the pool opened enough
  // sessions for all 20, or queued some), answer everything held and everything after.
  let lastCount = -1;
  while (state.held.length < REQUESTS && state.held.length !== lastCount) {
    lastCount = state.held.length;
    await within(state.heldReached(lastCount + 1), 300);
  }
  state.releaseAll();
  const results = await Promise.all(outcomes);

  const failed = results.filter((r) => r.error !== undefined);
  assert.equal(failed.length, 0, `${failed.length} of ${REQUESTS} exchanges failed, e.g. ${failed[0]?.error?.message} (${String((failed[0]?.error?.cause as Error | undefined)?.message)})`);
  for (const out of results) assert.equal(out.body.toString(), 'done');
  assert.ok(state.maxOnOneSession <= SERVER_LIMIT, `at most ${SERVER_LIMIT} open streams on one server session, saw ${state.maxOnOneSession}`);
  const stats = pool.getStats();
  assert.equal(stats.active, 0, 'no stream counted as active after all ended');
  assert.equal(stats.created, server.sessions.length, 'created counts the sessions the server saw');
  assert.equal(stats.created + stats.reused, REQUESTS, 'every exchange opened a session or reused one');
  assert.equal(stats.idle, stats.created, 'every session is idle now');
});

test('with all 20 held open, the pool opens sessions until every one is in flight: 7 sessions of at most 3', { timeout: 20_000 }, async (t) => {
  const { track, state } = tracker();
  const server = await startH2Server(t, track, { settings: { maxConcurrentStreams: SERVER_LIMIT } });
  const pool = poolTo(t, server.port);

  const outcomes = await startAll(pool);
  const allHeld = await within(state.heldReached(REQUESTS), 3_000);
  const heldAtOnce = state.held.length;
  const sessionsThen = server.sessions.length;
  // Answer everything either way, so that a failure below leaves nothing hanging.
  state.releaseAll();
  const results = await Promise.all(outcomes);

  assert.notEqual(allHeld, 'timeout', `all ${REQUESTS} streams open at the server at once (saw ${heldAtOnce} on ${sessionsThen} sessions)`);
  assert.ok(state.maxOnOneSession <= SERVER_LIMIT, `at most ${SERVER_LIMIT} per session, saw ${state.maxOnOneSession}`);
  assert.equal(sessionsThen, Math.ceil(REQUESTS / SERVER_LIMIT), 'as many sessions as the limit needs, no more');
  results.forEach((out, i) => assert.equal(out.error, undefined, `exchange ${i}: ${out.error?.message}`));
  const stats = pool.getStats();
  assert.equal(stats.created, Math.ceil(REQUESTS / SERVER_LIMIT));
  assert.equal(stats.created + stats.reused, REQUESTS);
  assert.equal(stats.active, 0);
});

test('once a session knows the server\'s limit, a burst of 20 still runs at once on 7 sessions', { timeout: 20_000 }, async (t) => {
  const { track, state } = tracker();
  const server = await startH2Server(t, track, { settings: { maxConcurrentStreams: SERVER_LIMIT } });
  const pool = poolTo(t, server.port);
  // One exchange first: the session is up and has the server's SETTINGS before the burst.
  const warm = await pool.acquire();
  const warmRec = new Recorder();
  warm.send(requestOf('GET', '/warm'), warmRec);
  await state.heldReached(1);
  state.held.splice(0).forEach((s) => {
    s.respond({ ':status': 200 });
    s.end('done');
  });
  assert.equal((await warmRec.done).error, undefined);

  const outcomes = await startAll(pool);
  const allHeld = await within(state.heldReached(REQUESTS), 3_000);
  const heldAtOnce = state.held.length;
  const sessionsThen = server.sessions.length;
  state.releaseAll();
  const results = await Promise.all(outcomes);
  const failed = results.filter((r) => r.error !== undefined).length;
  assert.equal(failed, 0, `${failed} of ${REQUESTS} exchanges failed: ${results.find((r) => r.error)?.error?.message}`);
  assert.notEqual(allHeld, 'timeout', `all ${REQUESTS} streams open at the server at once (saw ${heldAtOnce} on ${sessionsThen} sessions)`);
  assert.ok(state.maxOnOneSession <= SERVER_LIMIT, `at most ${SERVER_LIMIT} per session, saw ${state.maxOnOneSession}`);
  assert.equal(sessionsThen, Math.ceil(REQUESTS / SERVER_LIMIT));
});

test('the cluster\'s own maxConcurrentStreams below the server\'s also caps a session', { timeout: 20_000 }, async (t) => {
  const { track, state } = tracker();
  const server = await startH2Server(t, track, { settings: { maxConcurrentStreams: 100 } });
  const pool = poolTo(t, server.port, { maxConcurrentStreams: 2 });

  const outcomes = Array.from({ length: 6 }, async (_, i) => {
    const conn = await pool.acquire();
    const rec = new Recorder();
    conn.send(requestOf('GET', `/held/${i}`), rec);
    return await rec.done;
  });
  const allHeld = await within(state.heldReached(6), 3_000);
  state.releaseAll();
  const results = await Promise.all(outcomes);
  assert.notEqual(allHeld, 'timeout', 'all 6 in flight at once');
  assert.equal(state.maxOnOneSession, 2);
  assert.equal(server.sessions.length, 3);
  results.forEach((out, i) => assert.equal(out.error, undefined, `exchange ${i}: ${out.error?.message}`));
});
