// /debug/profile and /debug/heap reveal what a process holds (a heap snapshot has every token and
// key in it): without an admin token configured they answer 403 saying how to turn them on, a
// missing or wrong bearer token gets 401, and the other admin endpoints need no token as before.
// With the token, bad parameters get a 400 naming the parameter, and a --workers 1 proxy profiles
// itself (it has no worker to name).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { runSluice, SluiceProcess } from '../../support/run-sluice.js';
import { listenerYaml, yamlDocs } from '../helpers/config-yaml.js';

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function get(adminPort: number, path: string, token?: string): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.text() };
}

/** The `error` of a JSON error answer with this status. */
function errorOf(answer: Answer, status: number): string {
  assert.equal(answer.status, status, answer.body);
  return (JSON.parse(answer.body) as { error: string }).error;
}

test('/debug/* is off without an admin token, needs the right bearer token, and checks its parameters', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-debug-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, yamlDocs(listenerYaml('main')));
  const [plainPort, guardedPort] = [await freePort(), await freePort()];
  const token = 'debug-admin-token-0123456789';
  const plain = new SluiceProcess(['proxy', '--config', config, '--workers', '1', '--admin-listen', `127.0.0.1:${plainPort}`], { SLUICE_ADMIN_TOKEN: undefined });
  const guarded = new SluiceProcess(['proxy', '--config', config, '--workers', '1', '--admin-listen', `127.0.0.1:${guardedPort}`], { SLUICE_ADMIN_TOKEN: token });
  t.after(() => Promise.all([plain.stop(), guarded.stop()]));
  await Promise.all([plain.waitFor(/sluice proxy: ready/, 30_000), guarded.waitFor(/sluice proxy: ready/, 30_000)]);

  // No token configured: off, whatever the caller sends, and the answer says how to turn it on.
  assert.match(errorOf(await get(plainPort, '/debug/profile?seconds=1', token), 403), /--admin-token-file FILE \(or SLUICE_ADMIN_TOKEN\)/);
  assert.equal(errorOf(await get(plainPort, '/debug/heap'), 403), errorOf(await get(plainPort, '/debug/profile'), 403));
  assert.equal((await get(plainPort, '/ready')).status, 200);

  // A token configured (SLUICE_ADMIN_TOKEN): the bearer token must be it.
  assert.match(errorOf(await get(guardedPort, '/debug/profile?seconds=1'), 401), /Authorization: Bearer/);
  assert.match(errorOf(await get(guardedPort, '/debug/heap', 'not-the-token'), 401), /Authorization: Bearer/);
  assert.match(errorOf(await get(guardedPort, '/debug/profile?seconds=1', `${token}x`), 401), /Authorization: Bearer/);
  const live = await get(guardedPort, '/live');
  assert.deepEqual(live, { status: 200, body: 'live\n' });

  // Parameters: each refusal names the parameter and what it takes.
  for (const seconds of ['0', '61', 'ten', '1.5', '']) {
    assert.match(errorOf(await get(guardedPort, `/debug/profile?seconds=${seconds}`, token), 400), /^seconds must be a whole number from 1 to 60 \(default 10\), got "/, seconds);
  }
  assert.match(errorOf(await get(guardedPort, '/debug/heap?worker=first', token), 400), /^worker must be a worker's 0-based index or "primary"/);
  assert.match(errorOf(await get(guardedPort, '/debug/profile?seconds=1&worker=0', token), 404), /--workers 1.*leave out \?worker/);
  assert.match(errorOf(await get(guardedPort, '/debug/flame', token), 404), /try \/debug\/profile\?seconds=N or \/debug\/heap/);

  // --workers 1: the primary serves traffic, and profiles itself.
  const res = await fetch(`http://127.0.0.1:${guardedPort}/debug/profile?seconds=1`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.headers.get('x-sluice-pid'), String(guarded.child.pid));
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="sluice-proxy-\d+-.*\.cpuprofile"$/);
  const profile = (await res.json()) as { nodes: unknown[]; samples: number[]; startTime: number; endTime: number };
  assert.ok(profile.nodes.length > 0 && Array.isArray(profile.samples));
  const tookUs = profile.endTime - profile.startTime;
  assert.ok(tookUs >= 900_000 && tookUs < 5_000_000, `a 1 s profile covered ${tookUs} µs`);
});

test('a missing --admin-token-file stops the proxy at start with a usage error naming the flag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-debug-token-file-'));
  try {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, yamlDocs(listenerYaml('main')));
    const run = await runSluice(['proxy', '--config', config, '--workers', '1', '--admin-listen', '127.0.0.1:0', '--admin-token-file', join(dir, 'no-such-token')]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--admin-token-file .*no-such-token: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
