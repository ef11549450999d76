// A TCP listener's clocks and bounds: a connection silent both ways for tcp.idleTimeoutMs is closed, an
// endpoint that never accepts costs the cluster's connectTimeoutMs, max_connections turns the next
// client away, and a listener removed by an update drains: open connections keep flowing until its
// drainTimeoutMs, new ones are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import type { TcpConnectionRecord } from '../../../data-plane/src/tcp/tcp-proxy-server.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startBlackHole, startTcpUpstream } from '../helpers/tcp-servers.js';
import { local, tcpListenerYaml } from '../helpers/tcp-listener-yaml.js';
import { until } from '../../support/until.js';

const yaml = (port: number, tcp: string, listener = '', cluster = ''): string => tcpListenerYaml(local(port), { tcp: tcp.replace(/^, /, ''), listener, cluster });

/** A client that closes when the proxy ends or cuts the connection (no half-open wait). */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `text` and waits for the echo of it. */
function roundTrip(s: Socket, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error(`no echo of ${text} (got ${got})`)), timeoutMs);
    const onData = (d: Buffer): void => {
      got += d;
      if (got.length < text.length) return;
      clearTimeout(timer);
      s.off('data', onData);
      resolve(got);
    };
    s.on('data', onData);
    s.write(text);
  });
}

/** A new connection through `port` carries an echo (false while it is refused or closed). */
async function echoesOnANewConnection(port: number): Promise<boolean> {
  const s = await open(port);
  try {
    return (await roundTrip(s, 'fresh', 500)) === 'fresh';
  } finally {
    s.destroy();
  }
}

function closed(s: Socket, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (s.closed) return resolve(0);
    const timer = setTimeout(() => reject(new Error('the connection was not closed')), timeoutMs);
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

test('idle timeout: a connection silent both ways is closed, one that talks is not', { timeout: 30_000 }, async (t) => {
  let upstreamClosed = 0;
  const echo = await startTcpUpstream((s) => {
    s.pipe(s);
    s.on('close', () => upstreamClosed++);
  });
  t.after(() => echo.close());
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(yaml(echo.port, ', idleTimeoutMs: 400'), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  const busy = await open(proxy.port('db'));
  const silent = await open(proxy.port('db'));
  assert.equal(await roundTrip(silent, 'once'), 'once');
  // The busy one talks every 100 ms for 1.2 s: never 400 ms idle.
  for (let i = 0; i < 12; i++) {
    assert.equal(await roundTrip(busy, `b${i}`), `b${i}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(silent.closed, true, 'the silent connection was closed');
  assert.equal(busy.closed, false, 'the talking one was not');
  await until('the endpoint side closed too', () => upstreamClosed === 1);
  await until('the record', () => records.length === 1);
  assert.equal(records[0]!.end, 'idle_timeout');
  busy.destroy();
});

test('connect timeout: an endpoint that never accepts fails the connection after connectTimeoutMs', { timeout: 30_000 }, async (t) => {
  const hole = await startBlackHole();
  t.after(() => hole.close());
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(yaml(hole.port, ', maxConnectAttempts: 1', '', 'connectTimeoutMs: 300\noutlierDetection: {disabled: true}'), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  const s = await open(proxy.port('db'));
  const ms = await closed(s);
  assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
  await until('the record', () => records.length === 1);
  assert.deepEqual([records[0]!.result, records[0]!.error], ['connect_timeout', 'SLUICE_PROXY_CONNECT_TIMEOUT']);
  assert.match(await proxy.mesh.metrics.registry.metrics(), /sluice_proxy_tcp_connections_total\{listener="db",cluster="db",result="connect_timeout"\} 1/);
});

test('max_connections: the third client is closed at once and counted; the two open ones still flow', { timeout: 30_000 }, async (t) => {
  const echo = await startTcpUpstream();
  t.after(() => echo.close());
  const proxy = await startMesh(yaml(echo.port, '', 'limits: {maxConnections: 2}'));
  t.after(() => proxy.close());
  const one = await open(proxy.port('db'));
  const two = await open(proxy.port('db'));
  assert.equal(await roundTrip(one, 'a'), 'a');
  assert.equal(await roundTrip(two, 'b'), 'b');
  const three = await open(proxy.port('db'));
  await closed(three);
  assert.equal(proxy.mesh.listeners.closedConnections.get('db', 'refused'), 1);
  assert.equal(await roundTrip(one, 'still'), 'still');
  one.destroy();
  await until('a slot is free again', () => echoesOnANewConnection(proxy.port('db')));
  two.destroy();
});

test('a removed listener drains: the open connection flows until drainTimeoutMs, new ones are refused', { timeout: 30_000 }, async (t) => {
  const echo = await startTcpUpstream();
  t.after(() => echo.close());
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(yaml(echo.port, '', 'limits: {drainTimeoutMs: 1500}'), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  const port = proxy.port('db');
  const s = await open(port);
  assert.equal(await roundTrip(s, 'before'), 'before');
  const without = parseConfigText(`kind: Cluster\nname: db\nendpoints: [{address: 127.0.0.1, port: ${echo.port}}]\n`, 'yaml');
  assert.ok(without.ok);
  const started = performance.now();
  assert.equal((await proxy.mesh.applyResources(without.config.resources)).ok, true);
  assert.equal(proxy.mesh.listeners.address('db'), undefined);
  await assert.rejects(open(port), /ECONNREFUSED/, 'no new connection during the drain');
  for (let i = 0; i < 5; i++) {
    assert.equal(await roundTrip(s, `during ${i}`), `during ${i}`, 'the open connection still flows');
    await new Promise((r) => setTimeout(r, 150));
  }
  await closed(s);
  const ms = performance.now() - started;
  assert.ok(ms >= 1400, `cut at the drain deadline, after ${ms} ms`);
  await until('the record', () => records.length === 1);
  assert.equal(records[0]!.end, 'drained');
});

test('the cluster\'s circuit breaker counts piped connections: over maxConnections the client is closed, overloaded', { timeout: 30_000 }, async (t) => {
  const echo = await startTcpUpstream();
  t.after(() => echo.close());
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(yaml(echo.port, '', '', 'circuitBreakers: {maxConnections: 1}'), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  const first = await open(proxy.port('db'));
  assert.equal(await roundTrip(first, 'one'), 'one');
  const second = await open(proxy.port('db'));
  await closed(second);
  await until('the refused connection\'s record', () => records.find((r) => r.result === 'overloaded'));
  assert.equal(echo.connections(), 1, 'the endpoint never saw the second connection');
  first.destroy();
  await until('the breaker freed the slot', () => echoesOnANewConnection(proxy.port('db')));
});
