// A request is passed on whole or refused with a status, never cut: 1,500 or 5,000 request headers
// get 431 over HTTP/1.1 and HTTP/2 (node:http would keep the first ones and drop the rest), exactly the
// limit passes with every header, one more is refused. CONNECT, which the proxy does not serve, gets a
// status line (501 method-not-implemented) instead of a closed connection, over both protocols.
import assert from 'node:assert/strict';
import { connect as h2connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { test } from 'node:test';
import { DEFAULT_LISTENER_LIMITS } from '../../../data-plane/src/proxy/listener-context.js';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { rawRequest } from '../helpers/raw-http.js';

const CONFIG = yamlDocs(clusterYaml('web', ['{{up}}']), catchAllRouteYaml('web', 'web'));

function headLines(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `x-h-${i}: v\r\n`;
  return out;
}

function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders): Promise<{ status: number; headers: Record<string, unknown>; body: string; rst?: number }> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: true });
    let status = 0;
    let got: Record<string, unknown> = {};
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      got = h;
    });
    stream.on('data', (d: Buffer) => (body += d.toString()));
    stream.on('error', () => {});
    stream.on('close', () => resolve({ status, headers: got, body, rst: stream.rstCode }));
  });
}

test('header floods → 431 and CONNECT → 501, over HTTP/1.1', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();
  const limit = DEFAULT_LISTENER_LIMITS.maxHeaderCount;
  assert.equal(limit, 100);

  // Exactly the limit (Host included) passes whole.
  const atLimit = await rawRequest(port, `GET /at-limit HTTP/1.1\r\nHost: a\r\n${headLines(limit - 1)}\r\n`, 2000, 500);
  assert.equal(atLimit.status, 200, atLimit.text.slice(0, 200));
  const seen = upstream.seen.find((r) => r.url === '/at-limit')!;
  assert.equal(seen.headers[`x-h-${limit - 2}`], 'v', 'the last header reached the upstream');

  const before = upstream.seen.length;
  for (const n of [limit, 1500, 5000]) {
    const r = await rawRequest(port, `GET /flood HTTP/1.1\r\nHost: a\r\n${headLines(n)}\r\n`, 3000, 300);
    assert.equal(r.status, 431, `${n} headers: ${r.text.slice(0, 200)}`);
    // 5,000 is also over maxHeaderBytes (32 KiB), which node:http's parser checks first.
    assert.match(r.text, n === 5000 ? /x-sluice-error: (too-many-headers|headers-too-large)/ : /x-sluice-error: too-many-headers/);
  }
  assert.equal(upstream.seen.length, before, 'no flooded request reached the upstream');

  const connect = await rawRequest(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 2000);
  assert.equal(connect.status, 501, JSON.stringify(connect.text));
  assert.match(connect.text, /x-sluice-error: method-not-implemented/);
  assert.ok(connect.closed, 'the connection closes after the answer');

  const metrics = await mesh.mesh.metrics.registry.metrics();
  assert.match(metrics, /sluice_proxy_errors_total\{code="SLUICE_PROXY_TOO_MANY_HEADERS"\} [23]/);
  assert.match(metrics, /sluice_proxy_errors_total\{code="SLUICE_PROXY_METHOD_NOT_IMPLEMENTED"\} 1/);
});

test('header floods → 431 and CONNECT → 501, over HTTP/2', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  // Cleartext HTTP/2 (prior knowledge) on the same port. The client may send big header blocks.
  const session = h2connect(`http://127.0.0.1:${mesh.port()}`, { maxSendHeaderBlockLength: 1 << 20 });
  t.after(() => session.close());
  session.on('error', () => {});
  const limit = DEFAULT_LISTENER_LIMITS.maxHeaderCount;

  const headers = (n: number, path: string): OutgoingHttpHeaders => {
    const h: OutgoingHttpHeaders = { ':path': path, ':method': 'GET' };
    for (let i = 0; i < n; i++) h[`x-h-${i}`] = 'v';
    return h;
  };
  const ok = await h2Request(session, headers(limit, '/h2-at-limit'));
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).headers[`x-h-${limit - 1}`], 'v');

  const before = upstream.seen.length;
  for (const n of [limit + 1, 1500, 5000]) {
    const r = await h2Request(session, headers(n, '/h2-flood'));
    assert.equal(r.status, 431, `${n} headers: status ${r.status}, reset code ${r.rst}`);
    assert.match(String(r.headers['x-sluice-error']), /too-many-headers|headers-too-large/);
  }
  // Few headers but a header list over maxHeaderBytes (32 KiB): 431 too, as over HTTP/1.1.
  const big = await h2Request(session, { ':path': '/h2-big', 'x-big': 'x'.repeat(40_000) });
  assert.equal(big.status, 431);
  assert.equal(big.headers['x-sluice-error'], 'headers-too-large');
  assert.equal(upstream.seen.length, before, 'no flooded request reached the upstream');

  // RFC 9113 §8.5: CONNECT carries :authority only.
  const connect = await h2Request(session, { ':method': 'CONNECT', ':authority': 'example.com:443' });
  assert.equal(connect.status, 501);
  assert.equal(connect.headers['x-sluice-error'], 'method-not-implemented');
  // The session stays usable.
  assert.equal((await h2Request(session, { ':path': '/after' })).status, 200);
});
