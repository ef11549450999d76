// A second SIGTERM during a drain (an operator or a supervisor repeating the signal) does not kill the
// proxy with the signal's default action: the drain goes on, the in-flight request finishes and the
// process exits 0, as after a single SIGTERM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { exitOf, sleep, startLifecycleProxy } from './lifecycle-fixture.js';

test('a second SIGTERM during the drain keeps draining and exits 0', { timeout: 60_000 }, async (t) => {
  const fx = await startLifecycleProxy(['--workers', '1', '--drain-timeout-ms', '10000']);
  t.after(() => fx.close());
  const origin = `http://127.0.0.1:${fx.port}`;
  const slow = request(`${origin}/slow?ms=1500`).then(
    (r) => r.body.text(),
    (err: Error) => `cut: ${err.message}`,
  );
  await sleep(300);
  const exited = exitOf(fx.proxy.child);
  fx.proxy.child.kill('SIGTERM');
  await sleep(300);
  fx.proxy.child.kill('SIGTERM');
  const exit = await exited;
  assert.equal(await slow, 'ok /slow');
  assert.deepEqual([exit.code, exit.signal], [0, null], fx.proxy.output());
});
