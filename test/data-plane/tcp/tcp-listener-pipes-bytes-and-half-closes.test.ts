// A TCP listener pipes each connection to its cluster: large payloads both ways arrive whole (hashes
// and counts exact), a FIN from either side is passed on while the other direction keeps flowing, and
// the byte and connection counters and the per-connection record say exactly what passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { TcpConnectionRecord } from '../../../data-plane/src/tcp/tcp-proxy-server.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { exchange, sha256, startTcpUpstream } from '../helpers/tcp-servers.js';
import { local, tcpListenerYaml } from '../helpers/tcp-listener-yaml.js';
import { until } from '../../support/until.js';

const tcpYaml = (port: number): string => tcpListenerYaml(local(port));

async function metricLines(mesh: { metrics: { registry: { metrics(): Promise<string> } } }): Promise<string[]> {
  return (await mesh.metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('sluice_proxy_tcp_'));
}

test('echo through a TCP listener: 12 MB each way, exact bytes, counters and record', { timeout: 60_000 }, async (t) => {
  const echo = await startTcpUpstream();
  t.after(() => echo.close());
  const records: TcpConnectionRecord[] = [];
  const proxy = await startMesh(tcpYaml(echo.port), {}, { onTcpConnection: (r) => records.push(r) });
  t.after(() => proxy.close());
  const payload = randomBytes(12 * 1024 * 1024);
  const back = await exchange(proxy.port('db'), payload);
  assert.equal(back.bytes, payload.length);
  assert.equal(back.sha256, sha256(payload), 'the echo came back byte for byte');
  assert.equal(back.ended, true, 'the echo server\'s FIN reached the client');
  await until('the connection record', () => records.length === 1);
  const r = records[0]!;
  assert.deepEqual(
    { listener: r.listener, cluster: r.cluster, endpoint: r.endpoint, result: r.result, end: r.end, attempts: r.attempts, in: r.bytesReceived, out: r.bytesSent, error: r.error, principal: r.principal },
    { listener: 'db', cluster: 'db', endpoint: `127.0.0.1:${echo.port}`, result: 'success', end: 'closed', attempts: 1, in: payload.length, out: payload.length, error: null, principal: null },
  );
  assert.deepEqual(await metricLines(proxy.mesh), [
    'sluice_proxy_tcp_connections_total{listener="db",cluster="db",result="success"} 1',
    `sluice_proxy_tcp_bytes_total{listener="db",cluster="db",direction="received"} ${payload.length}`,
    `sluice_proxy_tcp_bytes_total{listener="db",cluster="db",direction="sent"} ${payload.length}`,
    'sluice_proxy_tcp_active_connections{listener="db",cluster="db"} 0',
  ]);
});

test('half-close: the client\'s FIN reaches the endpoint, whose answer still comes back; and the other way round', { timeout: 30_000 }, async (t) => {
  // Counts what it read until the client's FIN, then answers the count and ends.
  const counter = await startTcpUpstream((s) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => s.end(`read ${n} bytes`));
  });
  t.after(() => counter.close());
  const proxy = await startMesh(tcpYaml(counter.port));
  t.after(() => proxy.close());
  const payload = randomBytes(3 * 1024 * 1024 + 7);
  const back = await exchange(proxy.port('db'), payload);
  assert.equal(back.text, `read ${payload.length} bytes`, 'the endpoint saw the FIN after every byte, and could still answer');

  // The endpoint ends first (a greeting, then FIN) and keeps reading what the client sends after it.
  let endpointEnded!: (heard: number) => void;
  const endpointDone = new Promise<number>((resolve) => (endpointEnded = resolve));
  const greeter = await startTcpUpstream((s) => {
    let heard = 0;
    s.end('hello, then FIN');
    s.on('data', (d: Buffer) => (heard += d.length));
    s.on('end', () => endpointEnded(heard));
  });
  t.after(() => greeter.close());
  const second = await startMesh(tcpYaml(greeter.port));
  t.after(() => second.close());
  const client = connect({ port: second.port('db'), host: '127.0.0.1', allowHalfOpen: true });
  let got = '';
  client.on('data', (d: Buffer) => (got += d));
  // After the endpoint's FIN the client still sends 2 MB, then ends too.
  client.on('end', () => client.end(Buffer.alloc(2 * 1024 * 1024, 1)));
  assert.equal(await endpointDone, 2 * 1024 * 1024, 'bytes sent after the endpoint\'s FIN still reached it');
  assert.equal(got, 'hello, then FIN');
});

test('a slow reader: the proxy holds back instead of buffering the whole stream', { timeout: 30_000 }, async (t) => {
  // The endpoint writes 64 MB as fast as the pipe lets it; the client reads nothing for a while.
  const total = 64 * 1024 * 1024;
  const source = await startTcpUpstream((s) => {
    const chunk = Buffer.alloc(64 * 1024, 2);
    let written = 0;
    const pump = (): void => {
      while (written < total) {
        written += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  t.after(() => source.close());
  const proxy = await startMesh(tcpYaml(source.port));
  t.after(() => proxy.close());
  const client = connect({ port: proxy.port('db'), host: '127.0.0.1' });
  client.pause();
  await new Promise((r) => setTimeout(r, 700));
  const series = [...proxy.mesh.tcpStats.values()][0]!;
  // Kernel socket buffers on both sides hold some megabytes; the proxy itself must not read it all.
  assert.ok(series.sent < 24 * 1024 * 1024, `the proxy read ${series.sent} bytes for a client that reads nothing`);
  let got = 0;
  client.on('data', (d: Buffer) => (got += d.length));
  client.resume();
  await new Promise((r) => client.on('end', r));
  assert.equal(got, total);
});
