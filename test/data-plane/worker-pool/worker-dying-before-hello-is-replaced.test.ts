// Review: a replacement worker that dies before its hello, while the proxy has no configuration yet
// (a control-plane proxy waiting for its first fetch), must be forked again. WorkerPool kept its
// start-up failure handler armed after start(): that exit looked like a failed start, set `stopping`
// and no worker was ever replaced again.
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerPool } from '../../../data-plane/src/cli/worker-pool.js';

test('a replacement worker that dies before its hello is replaced again', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-review-'));
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
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && Number((await import('node:fs')).readFileSync(runs, 'utf8')) < 3) await new Promise((r) => setTimeout(r, 100));
  const forks = Number((await import('node:fs')).readFileSync(runs, 'utf8'));
  assert.equal(forks, 3, `forks: ${forks} (the worker that died before its hello was not replaced)`);
  const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead());
  assert.equal(alive.length, 1, 'one worker serves again');
});
