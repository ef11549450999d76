// A proxy with workers validates each update once, in the primary: the workers get the changed
// resources as binary protobuf and apply them as they are. A real control plane (embedded store) and
// a real `sluice proxy --workers 2`; every process counts what it validates (SLUICE_VALIDATION_COUNT_DIR,
// dumped on SIGUSR2). One route changes among 40: the primary checks that one route, the workers check
// nothing, and traffic on both workers sees the change. Workers that a reload starts get the whole
// configuration, again without validating it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { childPids } from '../../e2e/scenario/process-sockets.js';
import { freePort } from '../../support/free-port.js';
import { SluiceProcess } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';
import { validationCounts } from '../../support/validation-counts.js';

const TOKEN = 'workers-test-token';
const ROUTES = 40;

/** A new connection each time (agent: false), so the primary hands them to both workers in turn. */
function get(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const route = (i: number, version: string) => ({
  kind: 'Route',
  name: `r-${i}`,
  hosts: ['*'],
  match: { pathPrefix: `/r-${i}/` },
  respond: { status: 200, body: `r-${i} ${version}` },
});

test('workers apply an update without validating it; the primary validates the changed route once', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-workers-validate-'));
  const counts = join(dir, 'counts');
  mkdirSync(counts);
  const [apiPort, discoveryPort, adminPort, listenerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const api = `http://127.0.0.1:${apiPort}`;
  const env = { SLUICE_TOKEN: TOKEN, SLUICE_VALIDATION_COUNT_DIR: counts };
  const call = async (method: string, path: string, body?: unknown): Promise<{ revision: number; json: unknown }> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return { revision: Number(res.headers.get('sluice-revision')), json: JSON.parse(text) };
  };
  const acked = (revision: number): Promise<true> =>
    until(`the proxy's ACK of revision ${revision}`, async () => {
      const r = (await call('GET', `/v1/rollout?revision=${revision}`)).json as { at: number; rejecting: number; errors: unknown[] };
      assert.equal(r.rejecting, 0, `the proxy rejected revision ${revision}: ${JSON.stringify(r.errors)}`);
      return r.at === 1 ? true : undefined;
    }, 30_000);

  const cp = new SluiceProcess(['control-plane', '--api-listen', `127.0.0.1:${apiPort}`, '--discovery-listen', `127.0.0.1:${discoveryPort}`, '--log-level', 'warn'], env);
  let proxy: SluiceProcess | undefined;
  t.after(async () => {
    await proxy?.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await until('the control plane', async () => ((await fetch(`${api}/readyz`)).ok ? true : undefined), 30_000);
  await call('PUT', '/v1/listeners/web', { address: '127.0.0.1', port: listenerPort });
  await call('POST', '/v1/apply', { resources: Array.from({ length: ROUTES }, (_, i) => route(i, 'v1')) });

  proxy = new SluiceProcess([
    'proxy', '--control-plane', `127.0.0.1:${discoveryPort}`, '--node-id', 'workers-test', '--workers', '2',
    '--admin-listen', `127.0.0.1:${adminPort}`, '--state-dir', join(dir, 'state'),
  ], env);
  // The rollout counts a proxy at a revision from its first ACK of it (the Listener's): the routes
  // are applied once the proxy's own dump shows them, in every worker.
  await until('the whole configuration applied', async () => {
    const dump = (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as { resources: unknown[] };
    return dump.resources.length === ROUTES + 1 ? true : undefined;
  }, 30_000);
  const primary = proxy.child.pid!;
  const workers = await until('2 workers', () => {
    const pids = childPids(primary);
    return pids.length === 2 ? pids : undefined;
  });
  const before = { primary: await validationCounts(counts, primary), workers: await Promise.all(workers.map((w) => validationCounts(counts, w))) };

  const { revision } = await call('PUT', '/v1/routes/r-3', route(3, 'v2'));
  await acked(revision);
  const after = { primary: await validationCounts(counts, primary), workers: await Promise.all(workers.map((w) => validationCounts(counts, w))) };

  assert.deepEqual(
    { specs: after.primary.specs - before.primary.specs, references: after.primary.references - before.primary.references },
    { specs: 1, references: 1 },
    'the primary checks the changed route once, its fields and its references',
  );
  workers.forEach((pid, i) => {
    const w = { specs: after.workers[i]!.specs - before.workers[i]!.specs, references: after.workers[i]!.references - before.workers[i]!.references };
    assert.deepEqual(w, { specs: 0, references: 0 }, `worker ${pid} validated the update again`);
  });
  // The ACK came after both workers applied it: every connection, on either worker, sees it.
  for (let i = 0; i < 6; i++) assert.equal(await get(listenerPort, '/r-3/'), 'r-3 v2');
  assert.equal(await get(listenerPort, '/r-4/'), 'r-4 v1');

  // A reload starts new workers with the whole configuration, which they apply without validating.
  const reloaded = await fetch(`http://127.0.0.1:${adminPort}/reload`, { method: 'POST' });
  assert.equal(reloaded.status, 200, await reloaded.text());
  const fresh = await until('2 new workers', () => {
    const pids = childPids(primary).filter((p) => !workers.includes(p));
    return pids.length === 2 ? pids : undefined;
  });
  for (const pid of fresh) assert.deepEqual(await validationCounts(counts, pid), { specs: 0, references: 0 }, `new worker ${pid} validated the configuration`);
  for (let i = 0; i < 6; i++) assert.equal(await get(listenerPort, '/r-3/'), 'r-3 v2');
  assert.equal(await get(listenerPort, `/r-${ROUTES - 1}/`), `r-${ROUTES - 1} v1`);
});
