// Zone-aware routing with failover by priority, through a real `sluice proxy --config FILE
// --workers 2 --zone zone-a`: cluster `app` has a0 (zone-a, priority 0), b0 (zone-b, priority 0) and a1
// (zone-a, priority 1), each a fake upstream answering with its name, and an active HTTP check every
// 200 ms (thresholds 2/2). While a0 is healthy it takes all traffic; a0 killed → b0 (same priority,
// other zone: priority beats zone, so not a1) within the detection time; b0 killed too → a1; a0 back
// → all traffic returns to a0 within interval × healthy_threshold (plus margins for a loaded machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { startUpstream, type FakeUpstream } from '../data-plane/helpers/fake-upstream.js';
import { startProxyProcess } from '../data-plane/helpers/proxy-process.js';
import { freePort } from '../support/free-port.js';
import { until } from '../support/until.js';

const INTERVAL_MS = 200;
const TIMEOUT_MS = 200;
const UNHEALTHY_THRESHOLD = 2;
const HEALTHY_THRESHOLD = 2;
/** Worst-case detection of a dead endpoint (README): (interval + jitter) × unhealthy_threshold + timeout. */
const DETECTION_MS = INTERVAL_MS * UNHEALTHY_THRESHOLD + TIMEOUT_MS;
const RETURN_MS = INTERVAL_MS * HEALTHY_THRESHOLD;
/** The machine is shared and loaded (2 cores): generous. The measured figures are printed. */
const MARGIN_MS = 2500;
/** Consecutive answers from the same endpoint that make a switch final. */
const STABLE = 25;

/** An upstream that answers every request with its name; killed = listener closed, sockets destroyed. */
class NamedUpstream {
  private up: FakeUpstream | undefined;
  private again: Server | undefined;
  port = 0;
  constructor(readonly name: string) {}

  private readonly handler = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(this.name);
  };

  async start(): Promise<void> {
    this.up = await startUpstream(this.handler);
    this.port = this.up.port;
  }

  /** Back on the same port (the cluster names it). */
  async restart(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 30_000 }, this.handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.again = server;
  }

  async kill(): Promise<void> {
    const up = this.up;
    const again = this.again;
    this.up = undefined;
    this.again = undefined;
    await up?.close();
    if (again !== undefined) {
      again.closeAllConnections();
      await new Promise<void>((resolve) => again.close(() => resolve()));
    }
  }
}

interface Answer {
  /** performance.now() when the answer arrived. */
  readonly at: number;
  /** The upstream's name, or `error …` / `<status> …`. */
  readonly who: string;
}

test('zone-a preferred, failover to zone-b at the same priority, then to priority 1, and back to zone-a', { timeout: 120_000 }, async (t) => {
  const [a0, b0, a1] = [new NamedUpstream('a0'), new NamedUpstream('b0'), new NamedUpstream('a1')];
  for (const u of [a0, b0, a1]) await u.start();
  t.after(async () => {
    for (const u of [a0, b0, a1]) await u.kill();
  });
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const proxy = await startProxyProcess(`kind: Cluster
name: app
connectTimeoutMs: 500
endpoints:
  - {address: 127.0.0.1, port: ${a0.port}, zone: zone-a, priority: 0}
  - {address: 127.0.0.1, port: ${b0.port}, zone: zone-b, priority: 0}
  - {address: 127.0.0.1, port: ${a1.port}, zone: zone-a, priority: 1}
healthCheck:
  http: {path: /healthz}
  intervalMs: ${INTERVAL_MS}
  timeoutMs: ${TIMEOUT_MS}
  unhealthyThreshold: ${UNHEALTHY_THRESHOLD}
  healthyThreshold: ${HEALTHY_THRESHOLD}
---
kind: Route
name: all
hosts: ["*"]
forward: {cluster: app}
---
kind: Listener
name: main
address: 127.0.0.1
port: ${listenPort}
`, ['--workers', '2', '--zone', 'zone-a', '--admin-listen', `127.0.0.1:${adminPort}`, '--drain-timeout-ms', '0']);
  t.after(() => proxy.stop());

  const activeHealth = async (): Promise<Map<number, string>> => {
    const body = (await (await fetch(`http://127.0.0.1:${adminPort}/clusters`)).json()) as { clusters: Array<{ name: string; endpoints: Array<{ port: number; activeHealth: string }> }> };
    return new Map(body.clusters.find((c) => c.name === 'app')!.endpoints.map((e) => [e.port, e.activeHealth]));
  };
  // Every endpoint checked HEALTHY before traffic starts, so the first phase is steady state.
  let health = new Map<number, string>();
  await until(() => `every endpoint HEALTHY (${JSON.stringify([...health])})`, async () => {
    health = await activeHealth();
    return [a0, b0, a1].every((u) => health.get(u.port) === 'HEALTHY');
  }, 15_000);

  // Steady keep-alive load over both workers: 4 loops, one request per 15 ms each at most.
  const client = new Pool(`http://127.0.0.1:${listenPort}`, { connections: 4, pipelining: 1 });
  t.after(() => client.close());
  const answers: Answer[] = [];
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const started = performance.now();
      let who: string;
      try {
        const res = await client.request({ path: '/work', method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 });
        const text = (await res.body.text()).trim();
        who = res.statusCode === 200 ? text : `${res.statusCode} ${String(res.headers['x-sluice-error'] ?? text.slice(0, 60))}`;
      } catch (err) {
        who = `error ${(err as Error).message}`;
      }
      answers.push({ at: performance.now(), who });
      const wait = 15 - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  t.after(async () => {
    running = false;
    await Promise.all(loops);
  });

  const tally = (list: readonly Answer[]): string => {
    const counts = new Map<string, number>();
    for (const a of list) counts.set(a.who, (counts.get(a.who) ?? 0) + 1);
    return [...counts].map(([k, n]) => `${k}=${n}`).join(' ');
  };
  /**
   * Waits for traffic to settle on `name` after `since`: returns the time (ms after `since`) of the
   * first answer from `name` that begins a run of STABLE answers all from it, up to now.
   */
  const switchTo = (name: string, since: number, limitMs: number): Promise<number> => {
    const after = (): Answer[] => answers.filter((a) => a.at >= since);
    return until(() => `traffic to settle on ${name} (waited ${(performance.now() - since).toFixed(0)} ms): ${tally(after())}`, () => {
      const seen = after();
      let runStart = -1;
      for (let i = 0; i < seen.length; i++) {
        if (seen[i]!.who !== name) runStart = -1;
        else if (runStart < 0) runStart = i;
      }
      return runStart >= 0 && seen.length - runStart >= STABLE ? seen[runStart]!.at - since : undefined;
    }, since + limitMs + 5000 - performance.now(), 20);
  };
  /** The answers in [from, to) must all be `name`. */
  const allFrom = (name: string, from: number, to: number, what: string): number => {
    const window = answers.filter((a) => a.at >= from && a.at < to);
    assert.ok(window.length >= STABLE, `${what}: only ${window.length} answers to judge`);
    assert.ok(window.every((a) => a.who === name), `${what}: not all from ${name}: ${tally(window)}`);
    return window.length;
  };

  // 1. All healthy: zone-a's priority-0 endpoint takes everything (not b0's zone, not priority 1).
  const loadStart = performance.now();
  await new Promise((r) => setTimeout(r, 1500));
  const steady = allFrom('a0', loadStart, performance.now(), 'all healthy');

  // 2. a0 killed → b0: same priority in another zone comes before a1 in the proxy's own zone.
  const killA = performance.now();
  await a0.kill();
  const toB = await switchTo('b0', killA, DETECTION_MS + MARGIN_MS);
  const duringA = answers.filter((a) => a.at >= killA && a.at < killA + toB);
  await new Promise((r) => setTimeout(r, 1000));
  const onB = allFrom('b0', killA + toB, performance.now(), 'a0 down');

  // 3. b0 killed too → a1, the priority-1 endpoint.
  const killB = performance.now();
  await b0.kill();
  const toA1 = await switchTo('a1', killB, DETECTION_MS + MARGIN_MS);
  const duringB = answers.filter((a) => a.at >= killB && a.at < killB + toA1);
  await new Promise((r) => setTimeout(r, 1000));
  const onA1 = allFrom('a1', killB + toA1, performance.now(), 'a0 and b0 down');

  // 4. a0 back → traffic returns to zone-a at priority 0.
  const backA = performance.now();
  await a0.restart();
  const toA0 = await switchTo('a0', backA, RETURN_MS + MARGIN_MS);
  const duringBack = answers.filter((a) => a.at >= backA && a.at < backA + toA0);
  await new Promise((r) => setTimeout(r, 1000));
  const onA0 = allFrom('a0', backA + toA0, performance.now(), 'a0 back');

  running = false;
  await Promise.all(loops);
  const seconds = (performance.now() - loadStart) / 1000;
  t.diagnostic(`all healthy: ${steady} answers, all from a0 (zone-a, priority 0)`);
  t.diagnostic(`a0 killed → b0 (zone-b, priority 0) after ${toB.toFixed(0)} ms (detection bound ${DETECTION_MS} ms + ${MARGIN_MS} margin); meanwhile: ${tally(duringA) || 'nothing'}; then ${onB} answers all from b0`);
  t.diagnostic(`b0 killed → a1 (priority 1) after ${toA1.toFixed(0)} ms; meanwhile: ${tally(duringB) || 'nothing'}; then ${onA1} answers all from a1`);
  t.diagnostic(`a0 back → a0 after ${toA0.toFixed(0)} ms (interval × healthy_threshold ${RETURN_MS} ms + ${MARGIN_MS} margin); meanwhile: ${tally(duringBack) || 'nothing'}; then ${onA0} answers all from a0`);
  t.diagnostic(`load: ${answers.length} answers in ${seconds.toFixed(1)} s: ${tally(answers)}`);
  assert.ok(toB <= DETECTION_MS + MARGIN_MS, `b0 took over ${toB.toFixed(0)} ms after a0 was killed`);
  assert.ok(toA1 <= DETECTION_MS + MARGIN_MS, `a1 took over ${toA1.toFixed(0)} ms after b0 was killed`);
  assert.ok(toA0 <= RETURN_MS + MARGIN_MS, `a0 got its traffic back ${toA0.toFixed(0)} ms after it came back`);
  // Before detection the dead endpoint may still be tried (no retries here: those answers fail), and
  // the workers switch one after the other; but the wrong level never answers.
  assert.ok(duringA.every((a) => a.who !== 'a1'), `a1 (priority 1) answered while b0 (priority 0) was up: ${tally(duringA)}`);
  assert.ok(duringB.every((a) => a.who !== 'a0'), `the killed a0 answered: ${tally(duringB)}`);
  assert.ok(duringBack.every((a) => a.who === 'a1' || a.who === 'a0'), `a failure while a0 came back: ${tally(duringBack)}`);
  const h = await activeHealth();
  assert.deepEqual([h.get(a0.port), h.get(b0.port), h.get(a1.port)], ['HEALTHY', 'UNHEALTHY', 'HEALTHY'], 'the proxy\'s own checks at the end');
});
