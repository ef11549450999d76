// A client that pauses inside its request body gets 408 request-body-timeout, counted as its own
// fault, whether its body was being buffered (small) or streamed (large); the upstream's timeout only
// starts once the body is complete, so a slow but steady upload is never blamed on the upstream
// (504). A chunked body longer than the buffer is streamed whole, its first bytes included.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { until } from '../../support/until.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const BODY_IDLE_MS = 600;

const CONFIG = yamlDocs(
  clusterYaml('web', ['{{up}}']),
  catchAllRouteYaml('web', 'web', 'timeoutMs: 500'),
  listenerYaml('main', 0, `limits: {bodyIdleTimeoutMs: ${BODY_IDLE_MS}}`),
);

/** Sends `parts` with `gapMs` between them; resolves with what came back once the server closed or answered. */
function upload(port: number, head: string, parts: Buffer[], gapMs: number): Promise<{ status: number; text: string; ms: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, ms: performance.now() - start });
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (/\r\n\r\n/.test(text) && (/content-length: 0\r\n/i.test(text) || /\r\n\r\n[\s\S]*\S/.test(text))) setTimeout(finish, 50);
    });
    socket.on('error', () => {});
    socket.on('close', finish);
    socket.write(head);
    let i = 0;
    const timer = setInterval(() => {
      if (i < parts.length && !socket.destroyed) socket.write(parts[i++]!);
    }, gapMs);
  });
}

/** The body length the echo upstream reports. */
const bytesSeen = (text: string): number => Number(/"bytes":(\d+)/.exec(text)?.[1] ?? -1);

test('request body pauses → 408 request-body-timeout (buffered or streamed); a slow steady upload is not the upstream\'s 504', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();

  // Buffered (1 KiB): half of it, then silence. The upstream is never contacted.
  const small = await upload(port, 'POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n', [Buffer.alloc(512, 'a')], 10);
  assert.equal(small.status, 408, small.text);
  assert.match(small.text, /x-sluice-error: request-body-timeout/);
  assert.equal(upstream.seen.filter((r) => r.url === '/small').length, 0);

  // Streamed (1 MiB, over the 64 KiB buffer): 100 KiB, then silence. The upstream got the head.
  const large = await upload(port, 'POST /large HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n', [Buffer.alloc(100 * 1024, 'b')], 10);
  assert.equal(large.status, 408, large.text.slice(0, 300));
  assert.match(large.text, /x-sluice-error: request-body-timeout/);
  assert.equal(upstream.seen.filter((r) => r.url === '/large').length, 1);

  // Streamed and steady but slower than the route's 500 ms timeout: 10 × 20 KiB, 250 ms apart → 200.
  const steadyParts = Array.from({ length: 10 }, () => Buffer.alloc(20 * 1024, 'c'));
  const steady = await upload(port, `POST /steady HTTP/1.1\r\nHost: a\r\nContent-Length: ${200 * 1024}\r\n\r\n`, steadyParts, 250);
  assert.equal(steady.status, 200, steady.text.slice(0, 300));
  assert.ok(steady.ms > 2000, `the upload took ${steady.ms.toFixed(0)} ms, longer than the route timeout`);
  assert.equal(bytesSeen(steady.text), 200 * 1024);

  // Chunked, 200 KiB: longer than the buffer, so streamed; its first 64 KiB+ are not lost.
  const chunk = (n: number): Buffer => Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, 'd'), Buffer.from('\r\n')]);
  const chunkedParts = [...Array.from({ length: 4 }, () => chunk(50 * 1024)), Buffer.from('0\r\n\r\n')];
  const chunked = await upload(port, 'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', chunkedParts, 20);
  assert.equal(chunked.status, 200, chunked.text.slice(0, 300));
  assert.equal(bytesSeen(chunked.text), 200 * 1024);

  await until('the metrics count the timeouts as the client\'s', async () => {
    const text = await mesh.mesh.metrics.registry.metrics();
    return /sluice_proxy_errors_total\{code="SLUICE_PROXY_REQUEST_BODY_TIMEOUT"\} 2/.test(text) ? text : undefined;
  }, 3000).then((text) => assert.doesNotMatch(text, /SLUICE_PROXY_UPSTREAM_TIMEOUT/));
});
