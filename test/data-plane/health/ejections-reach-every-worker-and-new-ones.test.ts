// `sluice proxy --workers 2`: an ejection one worker decides (consecutive 5xx on its own connection)
// and an endpoint one worker saw refuse are out in both workers; a worker forked later starts with
// them; the refused endpoint comes back in both once the primary's probe passes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { Pool, request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { until } from '../../support/until.js';
import { closedPort, startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

interface EndpointView { port: number; serving: number; ejected: number; ejectReason: string }

const workerPids = (primary: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

test('ejections and refusals seen by one worker reach the other and a replacement; a passing probe lets the endpoint back everywhere', { timeout: 60_000 }, async (t) => {
  const bad = await startUpstream((_req, res) => {
    res.statusCode = 500;
    res.end('bad');
  });
  const good = await startUpstream((_req, res) => res.end('good'));
  const deadPort = await closedPort();
  let back: Server | undefined;
  t.after(async () => {
    back?.close();
    await Promise.all([bad.close(), good.close()]);
  });
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(`kind: Cluster
name: timed
endpoints: [{address: 127.0.0.1, port: ${bad.port}}, {address: 127.0.0.1, port: ${good.port}}]
outlierDetection: {consecutive5xx: 3, baseEjectionTimeMs: 60000, maxEjectionPercent: 50}
---
kind: Cluster
name: refused
endpoints: [{address: 127.0.0.1, port: ${deadPort}}, {address: 127.0.0.1, port: ${good.port}}]
---
kind: Route
name: timed
hosts: [timed.test]
forward: {cluster: timed}
---
kind: Route
name: refused
hosts: [refused.test]
forward: {cluster: refused}
retry: {attempts: 1, on: [CONNECT_FAILURE]}
---
kind: Listener
name: main
address: 127.0.0.1
port: ${listenPort}
`, ['--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--drain-timeout-ms', '0']);
  t.after(() => proxy.stop());

  const view = async (cluster: string, port: number): Promise<EndpointView> => {
    const body = (await (await request(`http://127.0.0.1:${adminPort}/clusters`)).body.json()) as { clusters: Array<{ name: string; endpoints: EndpointView[] }> };
    return body.clusters.find((c) => c.name === cluster)!.endpoints.find((e) => e.port === port)!;
  };
  const outInBoth = (cluster: string, port: number) => async (): Promise<EndpointView | undefined> => {
    const v = await view(cluster, port);
    return v.ejected === 2 && v.serving === 0 ? v : undefined;
  };
  await until('both workers serve', async () => ((await view('timed', bad.port)).serving === 2 ? true : undefined));

  // One keep-alive connection: one worker sees every answer and ejects `bad` on its own.
  const one = new Pool(`http://127.0.0.1:${listenPort}`, { connections: 1 });
  t.after(() => one.close());
  for (let i = 0; i < 6; i++) await (await one.request({ path: '/', method: 'GET', headers: { host: 'timed.test' } })).body.text();
  const timed = await until('the ejection reaches the other worker', outInBoth('timed', bad.port), 10_000);
  assert.equal(timed.ejectReason, '3 consecutive 5xx');

  // One refused connect in one worker: the endpoint leaves both.
  const res = await one.request({ path: '/', method: 'GET', headers: { host: 'refused.test' } });
  assert.equal(await res.body.text(), 'good');
  const refused = await until('the refusal reaches the other worker', outInBoth('refused', deadPort), 10_000);
  assert.equal(refused.ejectReason, 'connect refused (ECONNREFUSED)');

  // New connections land on both workers: none reaches `bad`.
  const badHits = bad.seen.length;
  for (let i = 0; i < 20; i++) await (await request(`http://127.0.0.1:${listenPort}/`, { headers: { host: 'timed.test' }, reset: true })).body.text();
  assert.equal(bad.seen.length, badHits, 'a worker still sent requests to the ejected endpoint');

  const before = workerPids(proxy.pid);
  assert.equal(before.length, 2, `workers: ${before}`);
  process.kill(before[0]!, 'SIGKILL');
  await until('a replacement worker', () => {
    const now = workerPids(proxy.pid);
    return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
  });
  await until('the replacement worker holds the ejection', outInBoth('timed', bad.port), 10_000);
  await until('and the refusal', outInBoth('refused', deadPort), 10_000);

  // The endpoint listens again: the primary's probe passes, and both workers take it back.
  back = createServer((_req, r) => r.end('back'));
  await new Promise<void>((resolve) => back!.listen(deadPort, '127.0.0.1', resolve));
  await until('both workers take the endpoint back', async () => {
    const v = await view('refused', deadPort);
    return v.serving === 2 && v.ejected === 0 ? true : undefined;
  }, 10_000);
});
