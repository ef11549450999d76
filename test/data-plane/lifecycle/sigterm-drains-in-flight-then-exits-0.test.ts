// SIGTERM to a `sluice proxy --workers 2` primary (graceful shutdown): /ready answers 503 at once,
// the listeners stop accepting, a slow HTTP/1.1 request in flight completes (its answer says
// `Connection: close`), a keep-alive client that sends during the drain gets `Connection: close`, an
// HTTP/2 client gets GOAWAY while its open stream completes, and the process exits 0 well within
// --drain-timeout-ms.
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { test } from 'node:test';
import { Client, request } from 'undici';
import { exitOf, readyStatus, sleep, startLifecycleProxy, tryConnect } from './lifecycle-fixture.js';

const DRAIN_MS = 10_000;

test('SIGTERM: not ready at once, in-flight requests and streams finish, Connection: close, GOAWAY, exit 0', { timeout: 60_000 }, async (t) => {
  const fx = await startLifecycleProxy(['--workers', '2', '--drain-timeout-ms', String(DRAIN_MS)]);
  t.after(() => fx.close());
  const origin = `http://127.0.0.1:${fx.port}`;
  assert.equal(await readyStatus(fx.adminPort), 200);

  // A keep-alive connection, used once, then idle.
  const keepAlive = new Client(origin, { pipelining: 1, keepAliveTimeout: 30_000 });
  t.after(() => keepAlive.close());
  const first = await keepAlive.request({ path: '/first', method: 'GET' });
  assert.equal(first.headers['connection'], 'keep-alive');
  await first.body.text();

  // An HTTP/2 session with a slow stream open when the signal comes.
  const h2 = connect(origin);
  t.after(() => h2.destroy());
  let goaway = false;
  h2.on('goaway', () => (goaway = true));
  h2.on('error', () => {});
  const h2Stream = h2.request({ ':path': '/slow?ms=1500' });
  const h2Answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    let status = 0;
    let body = '';
    h2Stream.on('response', (h) => (status = Number(h[':status'])));
    h2Stream.setEncoding('utf8');
    h2Stream.on('data', (c: string) => (body += c));
    h2Stream.on('end', () => resolve({ status, body }));
    h2Stream.on('error', reject);
  });

  // A slow HTTP/1.1 request in flight.
  const slow = request(`${origin}/slow?ms=1500`, { reset: false });
  await sleep(300);

  const signalled = Date.now();
  const exited = exitOf(fx.proxy.child);
  fx.proxy.child.kill('SIGTERM');
  // Not ready at once: load balancers stop sending before anything closes.
  let ready = await readyStatus(fx.adminPort);
  for (let i = 0; i < 20 && ready === 200; i++) ready = await readyStatus(fx.adminPort);
  const readyAfterMs = Date.now() - signalled;
  assert.equal(ready, 503, 'ready must answer 503 during the drain');

  // The idle keep-alive connection still gets an answer within the grace, telling it to leave.
  const during = await keepAlive.request({ path: '/during-drain', method: 'GET' });
  assert.equal(during.statusCode, 200);
  assert.equal(during.headers['connection'], 'close');
  assert.equal(await during.body.text(), 'ok /during-drain');

  // New connections are not served: every worker stopped accepting, so the primary closed the socket.
  await sleep(300);
  assert.equal(await tryConnect(fx.port), 'ECONNREFUSED');

  const slowRes = await slow;
  assert.equal(slowRes.statusCode, 200);
  assert.equal(slowRes.headers['connection'], 'close', 'a response written during the drain says Connection: close');
  assert.equal(await slowRes.body.text(), 'ok /slow');
  const h2Res = await h2Answer;
  assert.deepEqual(h2Res, { status: 200, body: 'ok /slow' });
  assert.ok(goaway, 'the HTTP/2 client got GOAWAY');

  const exit = await exited;
  const exitAfterMs = exit.at - signalled;
  t.diagnostic(`/ready 503 after ${readyAfterMs} ms; exit ${exit.code} after ${exitAfterMs} ms (drain timeout ${DRAIN_MS} ms)`);
  assert.equal(exit.code, 0, fx.proxy.output());
  assert.ok(exitAfterMs < DRAIN_MS - 2000, `exited after ${exitAfterMs} ms: a drain with nothing left open must not wait for its timeout`);
});
