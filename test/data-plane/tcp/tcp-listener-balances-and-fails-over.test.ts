// A TCP listener picks endpoints with its cluster's load balancing and health: round robin spreads
// connections evenly, an endpoint that refuses costs a second try on another (and is ejected), an
// endpoint pushed UNHEALTHY takes none, and a cluster whose every try fails closes the client, counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { TcpConnectionRecord } from '../../../data-plane/src/tcp/tcp-proxy-server.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { exchange, startTcpUpstream } from '../helpers/tcp-servers.js';
import { tcpListenerYaml } from '../helpers/tcp-listener-yaml.js';
import { until } from '../../support/until.js';

/** A port nothing listens on (bound, then closed): connects to it are refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const yaml = (endpoints: string, cluster = ''): string => tcpListenerYaml(endpoints, { tcp: 'maxConnectAttempts: 2', cluster });

test('round robin over two endpoints: 20 connections, 10 each', { timeout: 30_000 }, async (t) => {
  const a = await startTcpUpstream();
  const b = await startTcpUpstream();
  t.after(() => Promise.all([a.close(), b.close()]));
  const proxy = await startMesh(yaml(`{address: 127.0.0.1, port: ${a.port}}, {address: 127.0.0.1, port: ${b.port}}`));
  t.after(() => proxy.close());
  for (let i = 0; i < 20; i++) assert.equal((await exchange(proxy.port('db'), Buffer.from(`ping ${i}`))).text, `ping ${i}`);
  assert.deepEqual([a.connections(), b.connections()], [10, 10]);
});

test('an endpoint that refuses: the connection goes to the other one; it is ejected after', { timeout: 30_000 }, async (t) => {
  const good = await startTcpUpstream();
  t.after(() => good.close());
  const refusing = await closedPort();
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(yaml(`{address: 127.0.0.1, port: ${refusing}}, {address: 127.0.0.1, port: ${good.port}}`), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  for (let i = 0; i < 10; i++) assert.equal((await exchange(proxy.port('db'), Buffer.from('x'))).text, 'x', `connection ${i}`);
  assert.equal(good.connections(), 10);
  await until('every record', () => records.length === 10);
  assert.ok(records.every((r) => r.result === 'success' && r.endpoint === `127.0.0.1:${good.port}`));
  const retried = records.filter((r) => r.attempts === 2).length;
  assert.equal(retried, 1, 'one connection met the refusal and went on; the refusing endpoint was ejected after it');
});

test('an endpoint pushed UNHEALTHY takes no connection', { timeout: 30_000 }, async (t) => {
  const healthy = await startTcpUpstream();
  const sick = await startTcpUpstream();
  t.after(() => Promise.all([healthy.close(), sick.close()]));
  const proxy = await startMesh(yaml(`{address: 127.0.0.1, port: ${healthy.port}}, {address: 127.0.0.1, port: ${sick.port}, health: UNHEALTHY}`, 'outlierDetection: {panicThresholdPercent: 1}'));
  t.after(() => proxy.close());
  for (let i = 0; i < 8; i++) await exchange(proxy.port('db'), Buffer.from('x'));
  assert.deepEqual([healthy.connections(), sick.connections()], [8, 0]);
});

test('every try refused: the client is closed after maxConnectAttempts tries, counted as connect_failure', { timeout: 30_000 }, async (t) => {
  const ports = [await closedPort(), await closedPort(), await closedPort()];
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(yaml(ports.map((p) => `{address: 127.0.0.1, port: ${p}}`).join(', '), 'outlierDetection: {disabled: true}'), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  const back = await exchange(proxy.port('db'), Buffer.from('hello'));
  assert.equal(back.bytes, 0);
  await until('the record', () => records.length === 1);
  assert.equal(records[0]!.result, 'connect_failure');
  assert.equal(records[0]!.attempts, 2, 'bounded by tcp.maxConnectAttempts, though a third endpoint was left');
  assert.equal(records[0]!.error, 'SLUICE_PROXY_CONNECT_FAILURE');
  const text = await proxy.mesh.metrics.registry.metrics();
  assert.match(text, /sluice_proxy_tcp_connections_total\{listener="db",cluster="db",result="connect_failure"\} 1/);
  assert.match(text, /sluice_proxy_tcp_active_connections\{listener="db",cluster="db"\} 0/);
});
