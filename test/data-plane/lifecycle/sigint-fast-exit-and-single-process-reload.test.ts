// SIGINT closes at once (an interactive stop, unlike SIGTERM's drain): with a slow request in flight
// and a long --drain-timeout-ms the proxy exits 130 within a second or so, cutting the request.
// With --workers 1 the proxy serves in its own process, so a reload cannot swap its code: POST /reload answers 409 and `sluice proxy reload`
// exits 1 saying why, while the proxy keeps serving.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { runSluice } from '../../support/run-sluice.js';
import { exitOf, readyStatus, sleep, startLifecycleProxy } from './lifecycle-fixture.js';

test('--workers 1: reload refused with a clear error; SIGINT exits 130 at once despite a slow request', { timeout: 60_000 }, async (t) => {
  const fx = await startLifecycleProxy(['--workers', '1', '--drain-timeout-ms', '30000']);
  t.after(() => fx.close());
  const origin = `http://127.0.0.1:${fx.port}`;

  const cli = await runSluice(['proxy', 'reload', '--admin', `127.0.0.1:${fx.adminPort}`]);
  assert.equal(cli.code, 1, cli.stdout);
  assert.match(cli.stderr, /reload refused \(HTTP 409\): reload needs --workers 2 or more/);
  const post = await request(`http://127.0.0.1:${fx.adminPort}/reload`, { method: 'POST' });
  assert.equal(post.statusCode, 409);
  assert.match(((await post.body.json()) as { error: string }).error, /--workers 1/);
  const get = await request(`http://127.0.0.1:${fx.adminPort}/reload`);
  assert.equal(get.statusCode, 405);
  await get.body.text();
  // Still serving, still ready.
  const res = await request(`${origin}/after-refusal`);
  assert.equal(await res.body.text(), 'ok /after-refusal');
  assert.equal(await readyStatus(fx.adminPort), 200);

  const slow = request(`${origin}/slow?ms=20000`).then(
    (r) => r.body.text().then(() => 'completed'),
    (err: Error) => `cut: ${err.message}`,
  );
  await sleep(300);
  const signalled = Date.now();
  const exited = exitOf(fx.proxy.child);
  fx.proxy.child.kill('SIGINT');
  const exit = await exited;
  const exitMs = exit.at - signalled;
  const outcome = await slow;
  t.diagnostic(`SIGINT: exit ${exit.code} after ${exitMs} ms; slow request ${outcome}`);
  assert.equal(exit.code, 130, fx.proxy.output());
  assert.ok(exitMs < 3000, `SIGINT took ${exitMs} ms`);
  assert.match(outcome, /^cut/);
});
