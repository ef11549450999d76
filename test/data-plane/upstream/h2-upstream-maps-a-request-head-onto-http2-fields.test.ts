// An HTTP/1.1-shaped request head becomes an HTTP/2 one (RFC 9113 §8.3.1, §8.2.2): `host` becomes
// `:authority`; connection-specific fields are not sent (a server must treat them as malformed);
// repeated fields go out as repeated field lines, in order; gRPC gets `te: trailers`; a known body
// length goes out as one content-length.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http2';
import { test } from 'node:test';
import { exchange, poolTo, rawValues, requestOf, startH2Server } from './support/h2-exchange.js';

interface Seen {
  raw: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function serverRecording(t: import('node:test').TestContext): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await startH2Server(t, (stream, headers, _flags, raw) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      seen.push({ raw, headers, body: Buffer.concat(chunks) });
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
  });
  return { port: server.port, seen };
}

test('host becomes :authority; method, path and scheme are the pseudo-headers', { timeout: 20_000 }, async (t) => {
  const { port, seen } = await serverRecording(t);
  const pool = poolTo(t, port);
  const out = await exchange(pool, requestOf('GET', '/a/b?c=d&e', ['host', 'api.example:8443', 'accept', '*/*']));
  assert.equal(out.error, undefined);
  assert.equal(out.head?.status, 200);
  const raw = seen[0]!.raw;
  assert.deepEqual(rawValues(raw, ':authority'), ['api.example:8443']);
  assert.deepEqual(rawValues(raw, ':method'), ['GET']);
  assert.deepEqual(rawValues(raw, ':path'), ['/a/b?c=d&e']);
  assert.deepEqual(rawValues(raw, ':scheme'), ['http']);
  assert.deepEqual(rawValues(raw, 'host'), [], 'no host field next to :authority');
  assert.deepEqual(rawValues(raw, 'accept'), ['*/*']);
  // Pseudo-header fields come first (RFC 9113 §8.3).
  const firstRegular = raw.findIndex((v, i) => i % 2 === 0 && !v.startsWith(':'));
  const lastPseudo = raw.reduce((last, v, i) => (i % 2 === 0 && v.startsWith(':') ? i : last), -1);
  assert.ok(lastPseudo < firstRegular, `pseudo-headers before regular ones: ${raw.join(' ')}`);
});

test('connection-specific fields are not sent', { timeout: 20_000 }, async (t) => {
  const { port, seen } = await serverRecording(t);
  const pool = poolTo(t, port);
  const headers = [
    'host', 'upstream.test',
    'connection', 'keep-alive',
    'keep-alive', 'timeout=5',
    'transfer-encoding', 'chunked',
    'upgrade', 'websocket',
    'te', 'gzip',
    'proxy-connection', 'keep-alive',
    'x-kept', 'yes',
  ];
  const out = await exchange(pool, requestOf('POST', '/', headers, -1), Buffer.from('body of unknown length'));
  assert.equal(out.error, undefined);
  const raw = seen[0]!.raw;
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'proxy-connection']) {
    assert.deepEqual(rawValues(raw, name), [], `${name} is not sent`);
  }
  assert.deepEqual(rawValues(raw, 'x-kept'), ['yes']);
  assert.deepEqual(rawValues(raw, 'content-length'), [], 'a body of unknown length has no content-length');
  assert.equal(seen[0]!.body.toString(), 'body of unknown length');
});

test('repeated request fields arrive repeated and in order; names arrive lower-case', { timeout: 20_000 }, async (t) => {
  const { port, seen } = await serverRecording(t);
  const pool = poolTo(t, port);
  const headers = ['host', 'upstream.test', 'x-rep', 'one', 'accept', 'text/html', 'x-rep', 'two', 'x-rep', 'three, four', 'X-Mixed-Case', 'v'];
  const out = await exchange(pool, requestOf('GET', '/', headers));
  assert.equal(out.error, undefined);
  const raw = seen[0]!.raw;
  assert.deepEqual(rawValues(raw, 'x-rep'), ['one', 'two', 'three, four'], 'each value its own field line, not joined');
  assert.deepEqual(rawValues(raw, 'accept'), ['text/html']);
  assert.deepEqual(rawValues(raw, 'x-mixed-case'), ['v']);
  assert.ok(!raw.some((v, i) => i % 2 === 0 && v !== v.toLowerCase()), `every name lower-case: ${raw.join(' ')}`);
});

test('content-type application/grpc adds te: trailers, once', { timeout: 20_000 }, async (t) => {
  const { port, seen } = await serverRecording(t);
  const pool = poolTo(t, port);
  const message = Buffer.from([0, 0, 0, 0, 0]);
  const out = await exchange(pool, requestOf('POST', '/pkg.Svc/Method', ['host', 'grpc.test', 'content-type', 'application/grpc+proto', 'te', 'trailers'], message.length), message);
  assert.equal(out.error, undefined);
  assert.deepEqual(rawValues(seen[0]!.raw, 'te'), ['trailers']);
  assert.deepEqual(rawValues(seen[0]!.raw, 'content-type'), ['application/grpc+proto']);

  // Without gRPC, a client's own te is not passed on.
  const out2 = await exchange(pool, requestOf('GET', '/', ['host', 'grpc.test', 'te', 'trailers', 'content-type', 'text/plain']));
  assert.equal(out2.error, undefined);
  assert.deepEqual(rawValues(seen[1]!.raw, 'te'), []);
});

test('a body of known length sends one content-length, whatever the header list said', { timeout: 20_000 }, async (t) => {
  const { port, seen } = await serverRecording(t);
  const pool = poolTo(t, port);
  const body = Buffer.from('twelve bytes');
  const out = await exchange(pool, requestOf('PUT', '/doc', ['host', 'upstream.test', 'content-length', '12'], body.length), body);
  assert.equal(out.error, undefined);
  assert.deepEqual(rawValues(seen[0]!.raw, 'content-length'), ['12']);
  assert.equal(seen[0]!.body.toString(), 'twelve bytes');

  // No body: no content-length, and the stream ends with the HEADERS.
  const out2 = await exchange(pool, requestOf('GET', '/doc', ['host', 'upstream.test']));
  assert.equal(out2.error, undefined);
  assert.deepEqual(rawValues(seen[1]!.raw, 'content-length'), []);
  assert.equal(seen[1]!.body.length, 0);
});
