// Slow clients must not starve the others: 1,100 clients upload small bodies at a byte a second while
// other clients send requests. Bodies this small are read whole before an upstream is picked and
// before the cluster's circuit breaker (1,024 requests by default) is asked, so the slow ones hold no
// slot and the others are served. The slow ones end as the client's fault: those that finish their
// body get 200, those that stop sending get 408 request-body-timeout; none gets 504 upstream-timeout.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { Pool } from 'undici';
import { until } from '../../support/until.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const SLOW = 1100;
const BODY_BYTES = 30;
const BODY_IDLE_MS = 2000;

const CONFIG = yamlDocs(
  clusterYaml('web', ['{{up}}']),
  catchAllRouteYaml('web', 'web'),
  listenerYaml('main', 0, `limits: {bodyIdleTimeoutMs: ${BODY_IDLE_MS}}`),
);

interface SlowClient {
  readonly socket: Socket;
  sent: number;
  response: string;
  closed: boolean;
}

function slowClient(port: number): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const c: SlowClient = { socket, sent: 0, response: '', closed: false };
    socket.on('data', (d: Buffer) => (c.response += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (c.closed = true));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`);
      resolve(c);
    });
  });
}

const statusOf = (c: SlowClient): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(c.response)?.[1] ?? 0);

test('1,100 uploads at a byte a second: other clients are served, the slow ones end with 200 or 408, never 504', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();

  const slow: SlowClient[] = [];
  for (let i = 0; i < SLOW; i += 100) slow.push(...(await Promise.all(Array.from({ length: Math.min(100, SLOW - i) }, () => slowClient(port)))));
  // A byte a second from every slow client.
  const drip = setInterval(() => {
    for (const c of slow) {
      if (c.sent < BODY_BYTES - 1 && !c.closed) {
        c.socket.write('x');
        c.sent++;
      }
    }
  }, 1000);
  t.after(() => clearInterval(drip));

  // Other clients meanwhile, for 6 s: GETs and small POSTs.
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 });
  t.after(() => pool.close());
  const statuses = new Map<number, number>();
  let inUseMax = 0;
  const endAt = performance.now() + 6000;
  const worker = async (i: number): Promise<void> => {
    for (let n = 0; performance.now() < endAt; n++) {
      let status = 0;
      try {
        const post = (n + i) % 2 === 0;
        const res = await pool.request({ path: `/other/${i}/${n}`, method: post ? 'POST' : 'GET', ...(post ? { body: 'y'.repeat(1024) } : {}) });
        await res.body.text();
        status = res.statusCode;
      } catch {
        status = 0;
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const sampler = setInterval(async () => {
    const text = await mesh.mesh.metrics.registry.metrics();
    const m = /sluice_proxy_circuit_breaker_in_use\{cluster="web",resource="requests"\} (\d+)/.exec(text);
    if (m !== null) inUseMax = Math.max(inUseMax, Number(m[1]));
  }, 500);
  await Promise.all(Array.from({ length: 8 }, (_, i) => worker(i)));
  clearInterval(sampler);

  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const ok = statuses.get(200) ?? 0;
  console.log(`# other clients during ${SLOW} slow uploads: ${ok}/${total} answered 200 (${((100 * ok) / total).toFixed(2)}%), ` +
    `statuses ${JSON.stringify(Object.fromEntries(statuses))}; breaker requests in use at most ${inUseMax}`);
  assert.ok(inUseMax < 100, `slow uploads hold no circuit-breaker slot (at most ${inUseMax} in use)`);
  const early: Record<string, number> = {};
  for (const c of slow) if (c.response !== '' || c.closed) early[c.response.split('\r\n')[0] || 'closed'] = (early[c.response.split('\r\n')[0] || 'closed'] ?? 0) + 1;
  assert.deepEqual(early, {}, 'slow clients still sending are still being read, not answered');
  assert.ok(ok / total >= 0.99, `99% or more of the other clients' requests succeed (${ok}/${total})`);
  assert.ok(total >= 100, `other clients are served at their pace (${total} requests in 6 s)`);

  // Half the slow clients finish their body (→ 200 from the upstream); the others stop (→ 408).
  clearInterval(drip);
  const finishing = slow.filter((_, i) => i % 2 === 0);
  const stopping = slow.filter((_, i) => i % 2 === 1);
  for (const c of finishing) c.socket.write('x'.repeat(BODY_BYTES - c.sent));
  await until('every slow client answered', () => (slow.every((c) => statusOf(c) !== 0) ? true : undefined), BODY_IDLE_MS + 10_000);
  const count = (list: SlowClient[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const c of list) {
      const key = `${statusOf(c)} ${/x-sluice-error: (\S+)/.exec(c.response)?.[1] ?? ''}`.trim();
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };
  console.log(`# slow clients that finished: ${JSON.stringify(count(finishing))}; that stopped: ${JSON.stringify(count(stopping))}`);
  assert.deepEqual(count(finishing), { '200': finishing.length });
  assert.deepEqual(count(stopping), { '408 request-body-timeout': stopping.length });
  assert.ok(upstream.seen.every((r) => r.url !== '/upload' || r.headers['content-length'] === String(BODY_BYTES)));
  for (const c of slow) c.socket.destroy();

  const metrics = await mesh.mesh.metrics.registry.metrics();
  assert.match(metrics, /sluice_proxy_errors_total\{code="SLUICE_PROXY_REQUEST_BODY_TIMEOUT"\} 550/);
  assert.doesNotMatch(metrics, /SLUICE_PROXY_UPSTREAM_TIMEOUT/);
});
