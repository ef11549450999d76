// A replacement worker that dies before its hello, while the proxy has no configuration yet (a
// control-plane proxy waiting for its first fetch), is forked again: after start() a worker's early
// death is a crash to recover from, not a failed start that stops the pool.
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerPool } from '../../../data-plane/src/cli/worker-pool.js';
import { until } from '../../support/until.js';

test('a replacement worker that dies before its hello is replaced again', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-worker-pool-'));
  const script = join(dir, 'worker.cjs');
  const runs = join(dir, 'runs');
  // Run 1 says hello, then crashes; run 2 crashes before its hello; run 3 says hello and stays.
  writeFileSync(runs, '0');
  writeFileSync(script, `
const fs = require('node:fs');
const n = Number(fs.readFileSync(${JSON.stringify(runs)}, 'utf8')) + 1;
fs.writeFileSync(${JSON.stringify(runs)}, String(n));
if (n === 2) process.exit(3);
process.send({ sluice: 'hello', id: 0 });
if (n === 1) setTimeout(() => process.exit(1), 100);
else setInterval(() => {}, 1000);
process.on('message', (m) => { if (m && m.sluice === 'drain') process.exit(0); });
`);
  cluster.setupPrimary({ exec: script });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pool = new WorkerPool(1, {}, 1000);
  await pool.start();
  t.after(() => pool.stop(0));
  // Replacements are spaced by about a second each: run 3 comes after about two.
  const runsSoFar = (): number => Number(readFileSync(runs, 'utf8'));
  await until('a third run of the worker', () => runsSoFar() >= 3, 10_000, 100).catch(() => undefined);
  const forks = runsSoFar();
  assert.equal(forks, 3, `forks: ${forks} (the worker that died before its hello was not replaced)`);
  const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead());
  assert.equal(alive.length, 1, 'one worker serves again');
});
