// What a well-behaved HTTP/2 client (node:http2's) gets from the listener, cleartext by prior
// knowledge: a GET; a 1 MiB POST whose body reaches the upstream byte for byte (its SHA-256 echoed);
// 100 concurrent streams on one connection; a header sent twice reaching the upstream twice (or
// joined with ", ", which HTTP/1.1 allows); response trailers (gRPC's grpc-status) passed through from
// an H2C upstream; and `Expect: 100-continue` answered 100 before the body. (Trailers of an HTTP/1.1
// upstream's chunked response are not passed on today; neither Envoy, by default, nor nginx does.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createH2Server, connect, type ClientHttp2Session, type ServerHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startMesh } from '../helpers/mesh-fixture.js';

const CONFIG = `
kind: Cluster
name: web
endpoints: [{address: 127.0.0.1, port: {{up}}}]
---
kind: Cluster
name: grpc
protocol: H2C
endpoints: [{address: 127.0.0.1, port: {{grpc}}}]
---
kind: Route
name: grpc
hosts: ["*"]
match: {pathPrefix: /grpc.Test/}
forward: {cluster: grpc}
---
kind: Route
name: web
hosts: ["*"]
match: {pathPrefix: /}
forward: {cluster: web}
`;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: IncomingHttpHeaders | undefined;
  informational: number[];
  rstCode: number | undefined;
}

function exchange(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${String(headers[':path'])} within ${timeoutMs} ms`)), timeoutMs);
    const stream = session.request(headers, { endStream: body === undefined });
    const out: Answer = { status: 0, headers: {}, body: Buffer.alloc(0), trailers: undefined, informational: [], rstCode: undefined };
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      out.status = Number(h[':status']);
      out.headers = h;
    });
    stream.on('headers', (h) => out.informational.push(Number(h[':status'])));
    stream.on('trailers', (h) => (out.trailers = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {});
    stream.on('close', () => {
      clearTimeout(timer);
      out.body = Buffer.concat(chunks);
      out.rstCode = stream.rstCode;
      resolve(out);
    });
    if (body !== undefined) {
      if (headers['expect'] === '100-continue') stream.once('continue', () => stream.end(body));
      else stream.end(body);
    }
  });
}

async function setUp(t: TestContext) {
  const cleanup: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });
  const upstream = await startUpstream((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, bytes, sha256: hash.digest('hex'), rawHeaders: req.rawHeaders, port: req.socket.remotePort }));
    });
  });
  cleanup.push(() => upstream.close());
  // A gRPC-style H2C upstream: one message, then grpc-status in the trailers.
  const grpc = createH2Server();
  const grpcSessions = new Set<ServerHttp2Session>();
  grpc.on('session', (s) => {
    grpcSessions.add(s);
    s.on('close', () => grpcSessions.delete(s));
  });
  grpc.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '7', 'grpc-message': 'denied', 'x-echo-te': String(headers['te']) }));
      stream.end(Buffer.from([0, 0, 0, 0, 2, 8, 1]));
    });
  });
  await new Promise<void>((resolve) => grpc.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of grpcSessions) s.destroy();
        grpc.close(() => resolve());
      }),
  );
  const mesh = await startMesh(CONFIG, { up: upstream.port, grpc: (grpc.address() as AddressInfo).port });
  cleanup.push(() => mesh.close());
  const session = connect(`http://127.0.0.1:${mesh.port()}`);
  session.on('error', () => {});
  cleanup.push(() => session.destroy());
  return { upstream, session };
}

test('GET and a 1 MiB POST are served whole; 100 concurrent streams share one connection', { timeout: 20_000 }, async (t) => {
  const { upstream, session } = await setUp(t);

  const get = await exchange(session, { ':path': '/hello?x=1', ':authority': 'web.test' });
  assert.equal(get.status, 200);
  const seen = JSON.parse(get.body.toString()) as { method: string; url: string; bytes: number };
  assert.equal(seen.method, 'GET');
  assert.equal(seen.url, '/hello?x=1');

  const body = Buffer.alloc(1 << 20);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 10)) & 0xff;
  const post = await exchange(session, { ':method': 'POST', ':path': '/upload', 'content-type': 'application/octet-stream' }, body);
  assert.equal(post.status, 200);
  const posted = JSON.parse(post.body.toString()) as { method: string; bytes: number; sha256: string };
  assert.equal(posted.method, 'POST');
  assert.equal(posted.bytes, body.length);
  assert.equal(posted.sha256, createHash('sha256').update(body).digest('hex'));

  const before = upstream.seen.length;
  const many = await Promise.all(Array.from({ length: 100 }, (_, i) => exchange(session, { ':path': `/c${i}` })));
  assert.deepEqual(many.map((a) => a.status), Array(100).fill(200));
  assert.deepEqual(many.map((a) => (JSON.parse(a.body.toString()) as { url: string }).url), Array.from({ length: 100 }, (_, i) => `/c${i}`));
  assert.equal(upstream.seen.length - before, 100);
  assert.equal(session.closed || session.destroyed, false, 'the one connection is still open');
});

test('a request header sent twice reaches the upstream twice', { timeout: 10_000 }, async (t) => {
  const { session } = await setUp(t);
  const a = await exchange(session, { ':path': '/repeat', 'x-rep': ['one', 'two'], accept: ['text/plain', 'application/json'] });
  assert.equal(a.status, 200);
  const raw = (JSON.parse(a.body.toString()) as { rawHeaders: string[] }).rawHeaders;
  const values = (name: string): string[] => raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name ? raw[i + 1]!.split(/,\s*/) : []));
  assert.deepEqual(values('x-rep'), ['one', 'two'], `rawHeaders at the upstream: ${JSON.stringify(raw)}`);
  assert.deepEqual(values('accept'), ['text/plain', 'application/json']);
});

test('gRPC-style response trailers are passed through from an H2C upstream', { timeout: 10_000 }, async (t) => {
  const { session } = await setUp(t);
  const h2 = await exchange(session, { ':method': 'POST', ':path': '/grpc.Test/Call', 'content-type': 'application/grpc', te: 'trailers' }, Buffer.from([0, 0, 0, 0, 0]));
  assert.equal(h2.status, 200);
  assert.equal(h2.headers['content-type'], 'application/grpc');
  assert.deepEqual([...h2.body], [0, 0, 0, 0, 2, 8, 1]);
  assert.equal(h2.trailers?.['grpc-status'], '7', `trailers: ${JSON.stringify(h2.trailers)}`);
  assert.equal(h2.trailers?.['grpc-message'], 'denied');
  assert.equal(h2.trailers?.['x-echo-te'], 'trailers', 'te: trailers reached the upstream');
});

test('Expect: 100-continue is answered 100 before the body is sent, then the request is served', { timeout: 10_000 }, async (t) => {
  const { session } = await setUp(t);
  const body = Buffer.alloc(100_000, 7);
  const a = await exchange(session, { ':method': 'PUT', ':path': '/continue', expect: '100-continue', 'content-length': String(body.length) }, body);
  assert.deepEqual(a.informational, [100]);
  assert.equal(a.status, 200);
  const seen = JSON.parse(a.body.toString()) as { bytes: number; sha256: string };
  assert.equal(seen.bytes, body.length);
  assert.equal(seen.sha256, createHash('sha256').update(body).digest('hex'));
});
