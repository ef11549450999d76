// Zero-downtime restart: `sluice proxy reload` (POST /reload on the admin server) and then
// SIGHUP to the primary, each while HTTP/1.1 keep-alive clients, a connection-per-request client and
// HTTP/2 clients send without pause. Every worker pid is replaced (twice), no connection is refused, no
// request fails, /ready stays 200, and /metrics still counts every request served by retired workers.
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { test } from 'node:test';
import { Client, request } from 'undici';
import { runSluice } from '../../support/run-sluice.js';
import { until } from '../../support/until.js';
import { childPids, readyStatus, sleep, startLifecycleProxy, tryConnect } from './lifecycle-fixture.js';

interface Counts {
  ok: number;
  failed: number;
  refusedConnects: number;
  refusedStreams: number;
  connectionClose: number;
  notReady: number;
  readyProbes: number;
  errors: string[];
}

test('reload twice under continuous HTTP/1.1 and HTTP/2 load: zero refused, zero failed, all pids replaced, /ready 200', { timeout: 90_000 }, async (t) => {
  const fx = await startLifecycleProxy(['--workers', '2', '--drain-timeout-ms', '5000']);
  t.after(() => fx.close());
  const origin = `http://127.0.0.1:${fx.port}`;
  const c: Counts = { ok: 0, failed: 0, refusedConnects: 0, refusedStreams: 0, connectionClose: 0, notReady: 0, readyProbes: 0, errors: [] };
  const fail = (what: string, err: unknown): void => {
    c.failed++;
    if (c.errors.length < 10) c.errors.push(`${what}: ${(err as Error).message ?? String(err)}`);
  };
  let running = true;
  const loops: Promise<void>[] = [];

  // HTTP/1.1 keep-alive clients: one connection each, reopened after a `Connection: close`.
  for (let i = 0; i < 4; i++) {
    const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 30_000 });
    loops.push(
      (async () => {
        while (running) {
          try {
            const res = await client.request({ path: `/h1/${i}`, method: 'GET' });
            const body = await res.body.text();
            if (res.statusCode === 200 && body === `ok /h1/${i}`) c.ok++;
            else fail('h1', new Error(`${res.statusCode} ${body}`));
            if (res.headers['connection'] === 'close') c.connectionClose++;
          } catch (err) {
            fail('h1', err);
          }
        }
        await client.close();
      })(),
    );
  }
  // A new connection per request: most exposed to a worker that stops accepting.
  loops.push(
    (async () => {
      while (running) {
        try {
          const res = await request(`${origin}/fresh`, { reset: true });
          if (res.statusCode === 200 && (await res.body.text()) === 'ok /fresh') c.ok++;
          else fail('fresh', new Error(String(res.statusCode)));
        } catch (err) {
          fail('fresh', err);
        }
      }
    })(),
  );
  // HTTP/2 clients: a new session after GOAWAY; a stream the server refused unprocessed
  // (REFUSED_STREAM, RFC 9113 §8.7) is retried, as HTTP/2 clients do, and counted apart.
  for (let i = 0; i < 2; i++) {
    loops.push(
      (async () => {
        let session: ClientHttp2Session | undefined;
        while (running) {
          if (session === undefined || session.closed || session.destroyed || (session as unknown as { goawayReceived?: boolean }).goawayReceived) {
            const s = connect(origin);
            s.on('error', () => {});
            s.on('goaway', () => ((s as unknown as { goawayReceived?: boolean }).goawayReceived = true));
            session = s;
          }
          try {
            const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
              const stream = session!.request({ ':path': `/h2/${i}` });
              let status = 0;
              let body = '';
              stream.on('response', (h) => (status = Number(h[':status'])));
              stream.setEncoding('utf8');
              stream.on('data', (d: string) => (body += d));
              stream.on('end', () => resolve({ status, body }));
              const refusedOr = (err: Error): void => reject(stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ? Object.assign(new Error('refused stream'), { refused: true }) : err);
              stream.on('error', refusedOr);
              stream.on('close', () => refusedOr(new Error(`stream closed (code ${stream.rstCode})`)));
            });
            if (status === 200 && body === `ok /h2/${i}`) c.ok++;
            else fail('h2', new Error(`${status} ${body}`));
          } catch (err) {
            if ((err as { refused?: boolean }).refused === true || (err as NodeJS.ErrnoException).code === 'ERR_HTTP2_GOAWAY_SESSION') c.refusedStreams++;
            else fail('h2', err);
          }
        }
        session?.close();
      })(),
    );
  }
  // New TCP connections and /ready, probed throughout.
  loops.push(
    (async () => {
      while (running) {
        if ((await tryConnect(fx.port)) !== 'connected') c.refusedConnects++;
        await sleep(10);
      }
    })(),
    (async () => {
      while (running) {
        c.readyProbes++;
        if ((await readyStatus(fx.adminPort)) !== 200) c.notReady++;
        await sleep(50);
      }
    })(),
  );

  await sleep(1000);
  const original = childPids(fx.proxy.pid);
  assert.equal(original.length, 2, `two workers, got ${original.join(',')}`);
  const okBefore = c.ok;

  // 1. `sluice proxy reload`: the admin server's POST /reload, answered when every worker is replaced.
  const started = Date.now();
  const cli = await runSluice(['proxy', 'reload', '--admin', `127.0.0.1:${fx.adminPort}`], { timeoutMs: 60_000 });
  const cliMs = Date.now() - started;
  assert.equal(cli.code, 0, cli.stderr);
  const firstNew = [...cli.stdout.matchAll(/worker (\d+) replaced by (\d+)/g)];
  assert.deepEqual(firstNew.map((m) => Number(m[1])).sort(), original, cli.stdout);
  await sleep(1000);

  // 2. SIGHUP to the primary: the same, announced on its output.
  const before = fx.proxy.output().length;
  fx.proxy.child.kill('SIGHUP');
  const reloaded = (): RegExpExecArray | null => /sluice proxy: reloaded: workers (.+)/.exec(fx.proxy.output().slice(before));
  await until('the reload line after SIGHUP', () => reloaded() !== null, 30_000, 100).catch(() => undefined);
  const line = reloaded();
  assert.ok(line !== null, `no reload line after SIGHUP:\n${fx.proxy.output().slice(before)}`);
  await sleep(1000);
  running = false;
  await Promise.all(loops);

  // The retired workers exit once drained; the primary keeps their counters.
  // The assertions below say what is wrong if they are not two by then.
  await until('two workers left', () => childPids(fx.proxy.pid).length === 2, 10_000, 100).catch(() => undefined);
  const pids = childPids(fx.proxy.pid);
  const secondNew = [...line[1]!.matchAll(/(\d+)->(\d+)/g)];
  const metrics = await (await request(`http://127.0.0.1:${fx.adminPort}/metrics`)).body.text();
  const counted = [...metrics.matchAll(/^sluice_proxy_requests_total\{route="all",cluster="up",status_class="2xx"\} (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);

  console.log(
    `reload under load: ${c.ok} requests ok (${okBefore} before the first reload), ${c.failed} failed, ${c.refusedConnects} refused connects, ` +
      `${c.refusedStreams} h2 streams refused unprocessed and retried, ${c.connectionClose} Connection: close answers, ` +
      `/ready non-200 ${c.notReady} of ${c.readyProbes}; sluice proxy reload took ${cliMs} ms; workers ${original.join(',')} -> ` +
      `${firstNew.map((m) => m[2]).join(',')} -> ${pids.join(',')}; /metrics counts ${counted}`,
  );
  assert.deepEqual(c.errors, []);
  assert.equal(c.failed, 0);
  assert.equal(c.refusedConnects, 0);
  assert.equal(c.notReady, 0);
  assert.ok(c.ok > okBefore + 100, `load kept going: ${c.ok}`);
  // Every pid replaced, twice over.
  assert.deepEqual(secondNew.map((m) => Number(m[1])).sort(), firstNew.map((m) => Number(m[2])).sort());
  assert.deepEqual(pids, secondNew.map((m) => Number(m[2])).sort());
  for (const pid of pids) assert.ok(!original.includes(pid) && !firstNew.some((m) => Number(m[2]) === pid));
  // Metrics survive: retired workers' requests are still counted (each served request exactly once).
  assert.equal(counted, c.ok);
});
