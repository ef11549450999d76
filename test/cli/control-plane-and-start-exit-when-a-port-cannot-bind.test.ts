// `sluice control-plane` with its API or discovery port taken, and `sluice start` (npm start) with any
// of its four ports taken, exit 1 within seconds, saying which address and which flag.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertExitsOnBindFailure, holdPort } from '../support/held-port.js';

test('sluice control-plane: a taken --api-listen or --discovery-listen port exits 1 naming it', async (t) => {
  const held = await holdPort();
  t.after(() => held.release());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bind-cp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'bind-test-token\n');
  const at = `127.0.0.1:${held.port}`;
  await assertExitsOnBindFailure(['control-plane', '--token-file', tokenFile, '--api-listen', at, '--discovery-listen', '127.0.0.1:0'], held.port, '--api-listen');
  await assertExitsOnBindFailure(['control-plane', '--token-file', tokenFile, '--api-listen', '127.0.0.1:0', '--discovery-listen', at], held.port, '--discovery-listen');
});

test('sluice start: a taken API, discovery, proxy or proxy admin port exits 1 naming it', async (t) => {
  const held = await holdPort();
  t.after(() => held.release());
  const flags = ['--api-listen', '--discovery-listen', '--proxy-listen', '--proxy-admin-listen'];
  for (const taken of flags) {
    const args = flags.flatMap((flag) => [flag, flag === taken ? `127.0.0.1:${held.port}` : '127.0.0.1:0']);
    await assertExitsOnBindFailure(['start', ...args], held.port, taken);
  }
});
