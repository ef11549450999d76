// Test files run in parallel processes, and each asks freePort() for ports its servers bind later.
// Two processes must not be handed the same port, or one server fails with EADDRINUSE: a port one
// process was handed (and has not bound yet) is never handed to another.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';

const FREE_PORT = fileURLToPath(new URL('../support/free-port.js', import.meta.url));

test('ports handed to another process are not handed to this one', { timeout: 60_000 }, async () => {
  const script = `import('${FREE_PORT}').then(async ({ freePort }) => { const ports = []; for (let i = 0; i < 60; i++) ports.push(await freePort()); console.log(JSON.stringify(ports)); });`;
  const theirs = new Set(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as number[]);
  assert.equal(theirs.size, 60);
  // 1,000 of about 12,700 ports: without reservations some of their 60 would come up here too.
  const clashes: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const port = await freePort();
    if (theirs.has(port)) clashes.push(port);
  }
  assert.deepEqual(clashes, []);
});
