// `sluice proxy --workers 2`: the primary runs the active checks and its verdicts reach both workers
// (no request of either goes to the endpoint that fails its check); a worker that dies is replaced
// and the new one gets the current verdicts with its configuration.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { until } from '../../support/until.js';

interface EndpointView { port: number; serving: number; activeHealth: string }

const workerPids = (primary: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

test('active check verdicts reach both workers, and a replacement worker', { timeout: 60_000 }, async (t) => {
  const hits = { good: 0, bad: 0 };
  const good = await startUpstream((req, res) => {
    if (req.url !== '/health') hits.good++;
    res.end('good');
  });
  const bad = await startUpstream((req, res) => {
    if (req.url !== '/health') hits.bad++;
    res.statusCode = req.url === '/health' ? 503 : 200;
    res.end('bad');
  });
  t.after(() => Promise.all([good.close(), bad.close()]));
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(yamlDocs(
    clusterYaml('app', [good.port, bad.port], 'healthCheck: {http: {path: /health}, intervalMs: 100, unhealthyThreshold: 1, healthyThreshold: 1}'),
    catchAllRouteYaml('all', 'app'),
    listenerYaml('main', listenPort),
  ), ['--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--drain-timeout-ms', '0']);
  t.after(() => proxy.stop());

  const view = async (): Promise<EndpointView[]> => {
    const body = (await (await request(`http://127.0.0.1:${adminPort}/clusters`)).body.json()) as { clusters: Array<{ endpoints: EndpointView[] }> };
    return body.clusters[0]?.endpoints ?? [];
  };
  let seen: EndpointView[] = [];
  const viewUntil = (what: string, pred: (v: EndpointView[]) => boolean): Promise<EndpointView[]> =>
    until(() => `${what} (last seen: ${JSON.stringify(seen)})`, async () => ((seen = await view()), pred(seen) ? seen : undefined), 10_000);
  const badOut = (v: EndpointView[]): boolean => v.length === 2 && v.find((e) => e.port === bad.port)?.serving === 0 && v.find((e) => e.port === good.port)?.serving === 2;
  const v = await viewUntil('the failing endpoint leaves both workers', badOut);
  assert.equal(v.find((e) => e.port === bad.port)!.activeHealth, 'UNHEALTHY');

  // New connections spread over both workers: none reaches the failing endpoint.
  const fresh = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await request(`http://127.0.0.1:${listenPort}/x`, { reset: true });
      assert.equal(await res.body.text(), 'good');
    }
  };
  hits.bad = 0;
  await fresh(30);
  assert.equal(hits.bad, 0);

  const before = workerPids(proxy.pid);
  assert.equal(before.length, 2, `workers: ${before}`);
  process.kill(before[0]!, 'SIGKILL');
  // The primary forks a replacement (after at most a second); it must hold the verdict too.
  const replaced = (): boolean => {
    const now = workerPids(proxy.pid);
    return now.length === 2 && !now.includes(before[0]!);
  };
  await until('a replacement worker', replaced, 5_000).catch(() => undefined);
  const after = workerPids(proxy.pid);
  assert.ok(after.length === 2 && !after.includes(before[0]!), `replacement worker: ${before} -> ${after}`);
  await viewUntil('the replacement worker serves with the verdict', badOut);
  hits.bad = 0;
  await fresh(30);
  assert.equal(hits.bad, 0, 'the replacement worker sends nothing to the failing endpoint');
});
