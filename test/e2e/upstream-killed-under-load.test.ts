// A real `sluice proxy --config` with 2 workers in front of three upstreams, HTTP
// active checks and outlier detection, a route retrying connect failures and resets. Under steady
// keep-alive load one upstream is killed (server closed, sockets destroyed): fewer than 0.1% of the
// requests fail and its traffic stops within the detection time; brought back on the same port, its
// traffic returns within interval x healthy_threshold (plus margins for a loaded machine).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Pool, request } from 'undici';
import { freePort } from '../support/free-port.js';
import { SluiceProcess } from '../support/run-sluice.js';
import { until } from '../support/until.js';

const INTERVAL_MS = 200;
const TIMEOUT_MS = 100;
const UNHEALTHY_THRESHOLD = 2;
const HEALTHY_THRESHOLD = 2;
/** The machine is shared and loaded: generous, and the measured figures are printed. */
const MARGIN_MS = 1500;

/** An upstream on a fixed port that can be killed and brought back; counts the requests it serves. */
class Upstream {
  server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** performance.now() of every proxied (non-health) request. */
  readonly served: number[] = [];
  constructor(readonly name: string, readonly port: number) {}

  async start(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      if (req.url !== '/health') this.served.push(performance.now());
      res.end(this.name);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Closes the listener and destroys every open connection: a crashed process. */
  kill(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
    this.server = undefined;
  }
}

interface EndpointView { port: number; serving: number; pool: { connectFailures: number } }

test('one of three upstreams killed under load: errors < 0.1%, its traffic gone within the detection time, back within the healthy time', { timeout: 90_000 }, async (t) => {
  const ups = await Promise.all(['a', 'b', 'c'].map(async (n) => new Upstream(n, await freePort())));
  for (const u of ups) await u.start();
  t.after(() => ups.forEach((u) => u.kill()));
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-killed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'mesh.yaml');
  writeFileSync(config, `kind: Cluster
name: app
connectTimeoutMs: 500
endpoints: [${ups.map((u) => `{address: 127.0.0.1, port: ${u.port}}`).join(', ')}]
healthCheck:
  http: {path: /health}
  intervalMs: ${INTERVAL_MS}
  timeoutMs: ${TIMEOUT_MS}
  unhealthyThreshold: ${UNHEALTHY_THRESHOLD}
  healthyThreshold: ${HEALTHY_THRESHOLD}
outlierDetection: {consecutiveConnectFailures: 3, consecutiveGatewayErrors: 5, baseEjectionTimeMs: 1000, maxEjectionPercent: 34}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: app}
retry: {attempts: 2, on: [CONNECT_FAILURE, RESET]}
---
kind: Listener
name: main
address: 127.0.0.1
port: ${listenPort}
`);
  const proxy = new SluiceProcess(['proxy', '--config', config, '--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--drain-timeout-ms', '0']);
  t.after(() => proxy.stop());
  await proxy.waitFor(/sluice proxy: ready/, 20_000);

  const endpoints = async (): Promise<EndpointView[]> => {
    const body = (await (await request(`http://127.0.0.1:${adminPort}/clusters`)).body.json()) as { clusters: Array<{ name: string; endpoints: EndpointView[] }> };
    return body.clusters.find((c) => c.name === 'app')!.endpoints;
  };
  // Every endpoint HEALTHY in both workers before the load starts.
  // Not reaching it is left to the load's assertions, as it always was.
  await until('every endpoint HEALTHY in both workers', async () => (await endpoints()).every((e) => e.serving === 2), 5_000).catch(() => undefined);

  // Steady keep-alive load: 6 loops, each at most one request per 20 ms (≈ 300 req/s), bounded.
  const client = new Pool(`http://127.0.0.1:${listenPort}`, { connections: 6, pipelining: 1 });
  t.after(() => client.close());
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const loop = async (): Promise<void> => {
    while (running) {
      const started = performance.now();
      sent++;
      try {
        const res = await client.request({ path: '/work', method: 'GET' });
        const text = await res.body.text();
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${res.headers['x-sluice-error'] ?? ''} ${text.trim()}`);
      } catch (err) {
        failures.push(String(err));
      }
      const wait = 20 - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const loops = Array.from({ length: 6 }, loop);
  const loadStart = performance.now();
  await new Promise((r) => setTimeout(r, 1500));

  const c = ups[2]!;
  assert.ok(c.served.length > 0, 'c took traffic before the kill');
  const cFailures = async (): Promise<number> => (await endpoints()).find((e) => e.port === c.port)!.pool.connectFailures;
  let lastFailures = await cFailures();
  const killedAt = performance.now();
  c.kill();
  // Traffic to c is gone when the proxy stops trying it: its connect failures stop growing and no
  // worker balances over it any more.
  let lastTryMs = 0;
  let goneMs = -1;
  while (performance.now() - killedAt < 6000) {
    await new Promise((r) => setTimeout(r, 40));
    const view = (await endpoints()).find((e) => e.port === c.port)!;
    if (view.pool.connectFailures !== lastFailures) {
      lastFailures = view.pool.connectFailures;
      lastTryMs = performance.now() - killedAt;
    }
    if (view.serving === 0 && goneMs < 0) goneMs = performance.now() - killedAt;
    if (goneMs >= 0 && performance.now() - killedAt > goneMs + 1500) break;
  }
  const detectionMs = INTERVAL_MS * UNHEALTHY_THRESHOLD + TIMEOUT_MS;
  t.diagnostic(`kill -> no worker balances over c: ${goneMs.toFixed(0)} ms; last try of c: ${lastTryMs.toFixed(0)} ms; detection time ${detectionMs} ms (+${MARGIN_MS} margin); connect failures to c: ${lastFailures}`);
  assert.ok(goneMs >= 0, 'c never left the balancers');
  assert.ok(goneMs <= detectionMs + MARGIN_MS, `c left after ${goneMs} ms`);
  assert.ok(lastTryMs <= detectionMs + MARGIN_MS, `the proxy still tried c ${lastTryMs} ms after the kill`);

  // Back on the same port: traffic returns once healthy_threshold probes pass.
  await new Promise((r) => setTimeout(r, 500));
  const servedBefore = c.served.length;
  await c.start();
  const restartedAt = performance.now();
  await until('traffic back on c', () => c.served.length > servedBefore, 8_000, 10).catch(() => undefined);
  const returnMs = c.served.length > servedBefore ? c.served[servedBefore]! - restartedAt : -1;
  const healthyMs = INTERVAL_MS * HEALTHY_THRESHOLD;
  await new Promise((r) => setTimeout(r, 1000));
  running = false;
  await Promise.all(loops);
  const seconds = (performance.now() - loadStart) / 1000;
  const errorRate = failures.length / sent;
  t.diagnostic(`restart -> first request to c: ${returnMs.toFixed(0)} ms (interval x healthy_threshold ${healthyMs} ms +${MARGIN_MS} margin)`);
  t.diagnostic(`load: ${sent} requests in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)} req/s), ${failures.length} failed (${(errorRate * 100).toFixed(3)}%): ${failures.slice(0, 5).join('; ')}`);
  t.diagnostic(`served: ${ups.map((u) => `${u.name}=${u.served.length}`).join(' ')}`);
  assert.ok(returnMs >= 0, 'traffic never returned to c');
  assert.ok(returnMs <= healthyMs + MARGIN_MS, `traffic returned after ${returnMs} ms`);
  assert.ok(sent >= 1000, `the load was too light to judge 0.1%: ${sent}`);
  assert.ok(errorRate < 0.001, `${failures.length} of ${sent} requests failed: ${failures.slice(0, 5).join('; ')}`);
  const metrics = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
  assert.match(metrics, /sluice_proxy_health_transitions_total\{cluster="app",health="UNHEALTHY"\} 1/);
  assert.match(metrics, /sluice_proxy_health_checks_total\{cluster="app",result="unhealthy"\} \d+/);
});
