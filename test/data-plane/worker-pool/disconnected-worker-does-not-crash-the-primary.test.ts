// A worker whose IPC channel has closed but that has not exited yet (a worker on its way out: Node
// reports 'disconnect' before 'exit') does not take the primary down. A send() to it without a
// callback would emit ERR_IPC_CHANNEL_CLOSED as an 'error' nobody handles, an uncaught exception in
// the primary (a /metrics scrape at the wrong moment of a reload); metrics and health must answer.
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerPool } from '../../../data-plane/src/cli/worker-pool.js';

test('metrics and health to a disconnected, still running worker: no crash, no hang', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-worker-pool-'));
  const script = join(dir, 'worker.cjs');
  // Says hello, then closes its channel and stays alive for 3 s (as a worker between disconnect and exit).
  writeFileSync(script, `process.send({ sluice: 'hello', id: 0 }); setTimeout(() => process.disconnect(), 100); setTimeout(() => process.exit(0), 3000);\n`);
  cluster.setupPrimary({ exec: script });
  const uncaught: Error[] = [];
  const onUncaught = (err: Error): void => void uncaught.push(err);
  process.prependListener('uncaughtException', onUncaught);
  t.after(() => {
    process.off('uncaughtException', onUncaught);
    rmSync(dir, { recursive: true, force: true });
  });
  const pool = new WorkerPool(1, {}, 1000);
  await pool.start();
  const worker = Object.values(cluster.workers ?? {})[0]!;
  if (worker.isConnected()) await new Promise((resolve) => worker.process.once('disconnect', resolve));
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  assert.equal(worker.isDead(), false);
  const started = Date.now();
  const metrics = await pool.metrics();
  pool.setHealth([{ cluster: 'c', address: '127.0.0.1', port: 1, health: 2, reason: 'x' }]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(uncaught.map((e) => (e as NodeJS.ErrnoException).code), []);
  assert.deepEqual(metrics, []);
  assert.ok(Date.now() - started < 1000, 'metrics did not wait for the disconnected worker to exit');
  await pool.stop(0);
  await exited;
});
