// Timeouts on every kind of client connection: a TLS connection that never sends its ClientHello and
// an HTTP/2 session that never opens a stream are closed after the listener's headerTimeoutMs (as a
// silent TCP connection is); an HTTP/1.1 keep-alive connection and an HTTP/2 session with no request
// for idleTimeoutMs are closed.
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { connect } from 'node:net';
import { test } from 'node:test';
import { exampleCertificates } from '../../support/examples.js';
import { until } from '../../support/until.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const HEADER_TIMEOUT_MS = 700;
const IDLE_TIMEOUT_MS = 900;
const certDocs = exampleCertificates();

const CONFIG = `
${certDocs.join('\n---\n')}
---
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Route
name: web
hosts: ["*"]
forward: {cluster: web}
---
kind: Listener
name: main
address: 127.0.0.1
port: 0
limits: {headerTimeoutMs: ${HEADER_TIMEOUT_MS}, idleTimeoutMs: ${IDLE_TIMEOUT_MS}}
---
kind: Listener
name: tls
address: 127.0.0.1
port: 0
protocol: HTTPS
tls: {certificates: [web-local]}
limits: {headerTimeoutMs: ${HEADER_TIMEOUT_MS}, idleTimeoutMs: ${IDLE_TIMEOUT_MS}}
`;

/** How long a connection that sends `bytes` (then nothing) stays open; -1 if still open after `maxMs`. */
function lifetime(port: number, bytes: Buffer | undefined, maxMs: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let start = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(-1);
    }, maxMs);
    socket.on('connect', () => {
      start = performance.now();
      if (bytes !== undefined) socket.write(bytes);
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - start);
    });
  });
}

const within = (ms: number, limit: number, what: string): void =>
  assert.ok(ms >= limit - 100 && ms <= limit + 1500, `${what}: closed after ${ms.toFixed(0)} ms, the timeout is ${limit} ms`);

test('silent TLS and HTTP/2 connections close after headerTimeoutMs; idle HTTP/1.1 and HTTP/2 ones after idleTimeoutMs', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();

  const [tcp, tls, h2NoStream] = await Promise.all([
    lifetime(port, undefined, 5000),
    // TCP to the HTTPS listener, and no ClientHello.
    lifetime(mesh.port('tls'), undefined, 5000),
    // The HTTP/2 connection preface and an empty SETTINGS frame, then no stream.
    lifetime(port, Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]), 5000),
  ]);
  within(tcp, HEADER_TIMEOUT_MS, 'silent TCP');
  within(tls, HEADER_TIMEOUT_MS, 'TLS without a ClientHello');
  within(h2NoStream, HEADER_TIMEOUT_MS, 'HTTP/2 session without a stream');

  // HTTP/1.1: one request on a keep-alive connection, then nothing (a raw socket: node's client agent
  // would close the connection itself on the server's `Keep-Alive: timeout=0`).
  const h1Closed = await new Promise<number>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let start = 0;
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (start === 0 && /\r\n0\r\n\r\n$|"bytes":\d+[^]*\}$/.test(text)) start = performance.now();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(start === 0 ? -1 : performance.now() - start));
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  });
  within(h1Closed, IDLE_TIMEOUT_MS, 'idle HTTP/1.1 keep-alive');

  // HTTP/2: one stream, then nothing; the proxy ends the session.
  const session = h2connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const h2Closed = await new Promise<number>((resolve) => {
    const stream = session.request({ ':path': '/' }, { endStream: true });
    stream.resume();
    stream.on('close', () => {
      const start = performance.now();
      session.once('close', () => resolve(performance.now() - start));
    });
  });
  within(h2Closed, IDLE_TIMEOUT_MS, 'idle HTTP/2 session');

  const metrics = await until('header timeouts counted', async () => {
    const text = await mesh.mesh.metrics.registry.metrics();
    return /listener="tls",reason="header_timeout"\} 1/.test(text) ? text : undefined;
  }, 3000);
  assert.match(metrics, /sluice_proxy_downstream_connections_closed_total\{listener="main",reason="header_timeout"\} 2/);
});
