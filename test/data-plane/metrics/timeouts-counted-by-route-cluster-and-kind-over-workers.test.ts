// `sluice proxy --workers 2`: requests that end in a timeout are counted in
// sluice_proxy_timeouts_total by route, cluster and kind on the primary's /metrics, summed over both
// workers: the route's timeoutMs as `upstream`, a client pausing inside its body as `client`. Routes
// that saw no timeout show zero series, and the latency histogram puts the timed-out requests between
// the timeout's bucket bounds, with bounds up to a minute.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { freePort } from '../../support/free-port.js';
import { httpAnswer } from '../../support/http-answer.js';
import { until } from '../../support/until.js';
import { clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { rawRequest } from '../helpers/raw-http.js';

const ROUTE_TIMEOUT_MS = 200;
const BODY_IDLE_MS = 300;
const SLOW_REQUESTS = 8;
const FAST_REQUESTS = 5;
const PAUSED_UPLOADS = 2;

const routeYaml = (name: string, more = ''): string =>
  `kind: Route\nname: ${name}\nhosts: ["*"]\nmatch: {pathPrefix: /${name}/}\nforward: {cluster: backend}\n${more}`;

/** The value of one sample line of a Prometheus page, and how many lines that series has. */
function series(page: string, name: string, labels: Record<string, string>): { value: number; lines: number } {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let value = Number.NaN;
  let lines = 0;
  for (const line of page.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (have.length === want.length && want.every((w) => have.includes(w))) {
      value = Number(m[3]);
      lines++;
    }
  }
  return { value, lines };
}

test('timeouts by route, cluster and kind, summed over two workers', { timeout: 60_000 }, async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await startUpstream((req, res) => {
    if (req.url?.startsWith('/slow/') === true) held.push(res); // never answered: the route times out
    else req.resume().on('end', () => res.end('ok'));
  });
  t.after(async () => {
    for (const res of held) res.destroy();
    await upstream.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-timeouts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'access.log');
  // The workers share one listening socket, whose port the primary does not print: chosen here.
  const listenPort = await freePort();
  const proxy = await startProxyProcess(
    yamlDocs(
      // Timeouts would eject the endpoint, which is not what this test is about.
      clusterYaml('backend', [upstream.port], 'outlierDetection: {disabled: true}'),
      routeYaml('slow', `timeoutMs: ${ROUTE_TIMEOUT_MS}`),
      routeYaml('fast'),
      routeYaml('upload'),
      listenerYaml('public', listenPort, `limits: {bodyIdleTimeoutMs: ${BODY_IDLE_MS}}`),
    ),
    ['--workers', '2', '--admin-listen', '127.0.0.1:0', '--access-log', logFile],
  );
  t.after(() => proxy.stop());
  const adminPort = Number(/admin on http:\/\/127\.0\.0\.1:(\d+)/.exec(proxy.output())?.[1]);
  assert.ok(adminPort > 0, proxy.output());

  // Each request on its own connection, so the workers share them out.
  const slow = await Promise.all(Array.from({ length: SLOW_REQUESTS }, (_, i) => httpAnswer(listenPort, `/slow/${i}`, { timeoutMs: 5000 })));
  assert.deepEqual(slow.map((a) => a?.status), Array(SLOW_REQUESTS).fill(504));
  for (let i = 0; i < FAST_REQUESTS; i++) assert.equal((await httpAnswer(listenPort, `/fast/${i}`))?.status, 200);
  for (let i = 0; i < PAUSED_UPLOADS; i++) {
    // Half of the body, then silence.
    const paused = await rawRequest(listenPort, `POST /upload/${i} HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n${'a'.repeat(512)}`, 5000);
    assert.equal(paused.status, 408, paused.text);
  }

  const page = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const timeouts = (route: string, kind: string): { value: number; lines: number } => series(page, 'sluice_proxy_timeouts_total', { route, cluster: 'backend', kind });
  assert.deepEqual(timeouts('slow', 'upstream'), { value: SLOW_REQUESTS, lines: 1 }, page);
  assert.deepEqual(timeouts('slow', 'connect'), { value: 0, lines: 1 });
  assert.deepEqual(timeouts('slow', 'client'), { value: 0, lines: 1 });
  assert.deepEqual(timeouts('fast', 'upstream'), { value: 0, lines: 1 });
  assert.deepEqual(timeouts('upload', 'client'), { value: PAUSED_UPLOADS, lines: 1 });
  assert.equal(series(page, 'sluice_proxy_errors_total', { code: 'SLUICE_PROXY_UPSTREAM_TIMEOUT' }).value, SLOW_REQUESTS);
  assert.equal(series(page, 'sluice_proxy_errors_total', { code: 'SLUICE_PROXY_REQUEST_BODY_TIMEOUT' }).value, PAUSED_UPLOADS);

  // The timed-out requests took the route's 200 ms: above the 0.1 s bound, within 0.5 s and a minute.
  const bucket = (le: string): number => series(page, 'sluice_proxy_request_duration_seconds_bucket', { route: 'slow', cluster: 'backend', le }).value;
  assert.equal(bucket('0.1'), 0);
  assert.equal(bucket('0.5'), SLOW_REQUESTS);
  assert.equal(bucket('60'), SLOW_REQUESTS);

  // Both workers timed requests out, so the page's count is a sum.
  await until('an access-log line per slow request', () => readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('SLUICE_PROXY_UPSTREAM_TIMEOUT')).length === SLOW_REQUESTS, 10_000);
  const pids = new Set(readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('SLUICE_PROXY_UPSTREAM_TIMEOUT')).map((l) => (JSON.parse(l) as { pid: number }).pid));
  assert.equal(pids.size, 2, 'both workers timed requests out');
});
