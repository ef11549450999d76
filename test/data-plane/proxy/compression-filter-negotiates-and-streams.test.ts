// The `compression` filter through a real proxy and a fake upstream: the coding follows the client's
// Accept-Encoding and q-values, a large streamed body decompresses to the original, what must stay as
// it is stays (small bodies, other types, encoded bodies, no-transform, HEAD, 304), Vary and a weak
// ETag are set, each upstream piece is flushed at once, a client that stops reading holds the
// upstream back, HTTP/2 clients get it too, and bad configs are refused naming the field.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as h1Request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:http2';
import { test } from 'node:test';
import * as zlibModule from 'node:zlib';
import { brotliDecompressSync, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { compression } from '../../../data-plane/src/filters/compression.js';
import { FilterConfigError } from '../../../data-plane/src/filters/filter-config.js';
import { catchAllRouteYaml, clusterYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { until } from '../../support/until.js';

const MiB = 1 << 20;
const CONFIG = yamlDocs(clusterYaml('up', ['{{up}}']), catchAllRouteYaml('up', 'up', 'filters: [{name: compression}]'));

/** About 600 KB of JSON, as an API would answer: records that repeat in shape, not in content. */
const JSON_BODY = Buffer.from(JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ id: i, name: `user-${i}`, email: `user${i}@example.com`, active: i % 3 === 0, score: (i * 7919) % 1000 }))));
const TEXT_5K = Buffer.from('lorem ipsum dolor sit amet '.repeat(200));

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = h1Request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('compression filter: negotiation, streamed bodies, what is left alone, flushing, backpressure, HTTP/2, config errors', async (t) => {
  let released: (() => void) | undefined;
  let bigWritten = 0;
  let bigBlocked = false;
  const upstream = await startUpstream((req, res) => {
    switch (req.url) {
      case '/api': {
        // Streamed in pieces, without a length: chunked.
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: '"v1"', vary: 'origin' });
        let at = 0;
        const next = (): void => {
          if (at >= JSON_BODY.length) return void res.end();
          const piece = JSON_BODY.subarray(at, (at += 16 * 1024));
          if (res.write(piece)) setImmediate(next);
          else res.once('drain', next);
        };
        return next();
      }
      case '/small':
        return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' }).end('x'.repeat(100));
      case '/image':
        return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(TEXT_5K.length) }).end(TEXT_5K);
      case '/no-transform':
        return void res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'public, no-transform', 'content-length': String(TEXT_5K.length) }).end(TEXT_5K);
      case '/encoded': {
        const gz = gzipSync(TEXT_5K);
        return void res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(gz.length) }).end(gz);
      }
      case '/not-modified':
        return void res.writeHead(304, { 'content-type': 'text/html', etag: '"v1"' }).end();
      case '/html':
        return void res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(TEXT_5K.length), etag: 'W/"already-weak"' }).end(TEXT_5K);
      case '/events':
        // One event, then nothing until the test has seen it arrive decompressed.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first event\n\n');
        released = () => res.end('data: last event\n\n');
        return;
      case '/big': {
        // Base64 of random bytes: compresses to about 3/4, so the compressed stream fills the buffers too.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const piece = Buffer.from(randomBytes(48 * 1024).toString('base64'));
        const pump = (): void => {
          bigBlocked = false;
          while (bigWritten < 64 * MiB) {
            bigWritten += piece.length;
            if (!res.write(piece)) {
              bigBlocked = true;
              return void res.once('drain', pump);
            }
          }
          res.end();
        };
        return pump();
      }
      default:
        res.writeHead(404).end();
    }
  });
  t.after(() => upstream.close());
  const mesh = await startMesh(CONFIG, { up: upstream.port });
  t.after(() => mesh.close());
  const port = mesh.port();

  // gzip: a large streamed body decompresses to the original; Vary added to the upstream's; ETag weakened.
  const gz = await get(port, '/api', { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers['content-length'], undefined);
  assert.equal(gz.headers['transfer-encoding'], 'chunked');
  assert.equal(gz.headers['vary'], 'origin, accept-encoding');
  assert.equal(gz.headers['etag'], 'W/"v1"');
  assert.ok(gz.body.length < JSON_BODY.length / 4, `compressed to ${gz.body.length} of ${JSON_BODY.length}`);
  assert.ok(gunzipSync(gz.body).equals(JSON_BODY));

  // q-values first, the proxy's preference (br, then gzip) on ties and for `*`.
  const chosen = async (acceptEncoding: string): Promise<string | undefined> => (await get(port, '/html', { 'accept-encoding': acceptEncoding })).headers['content-encoding'] as string | undefined;
  assert.equal(await chosen('gzip, deflate, br'), 'br');
  assert.equal(await chosen('gzip;q=1.0, br;q=0.5'), 'gzip');
  assert.equal(await chosen('br;q=0, gzip;q=0.1'), 'gzip');
  assert.equal(await chosen('*'), 'br');
  assert.equal(await chosen('*;q=0.5, br;q=0'), 'gzip');
  assert.equal(await chosen('x-gzip'), 'gzip');
  assert.equal(await chosen('identity'), undefined);
  assert.equal(await chosen('identity;q=1, gzip;q=0.5'), undefined);
  assert.equal(await chosen('deflate'), undefined);
  const br = await get(port, '/html', { 'accept-encoding': 'br' });
  assert.ok(brotliDecompressSync(br.body).equals(TEXT_5K));
  assert.equal(br.headers['etag'], 'W/"already-weak"');
  // Not accepted, but compressible: caches must still know that the answer varies.
  const plain = await get(port, '/html');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers['vary'], 'accept-encoding');
  assert.equal(plain.headers['content-length'], String(TEXT_5K.length));
  assert.ok(plain.body.equals(TEXT_5K));

  // Left as they are, Content-Length included: small, another type, no-transform, already encoded.
  for (const path of ['/small', '/image', '/no-transform', '/encoded']) {
    const a = await get(port, path, { 'accept-encoding': 'gzip, br' });
    assert.equal(a.headers['content-encoding'], path === '/encoded' ? 'gzip' : undefined, path);
    assert.equal(a.headers['vary'], undefined, path);
    assert.equal(a.headers['content-length'], String(a.body.length), path);
  }
  // HEAD and 304: no body, nothing to compress; the ETag stays strong.
  const head = await get(port, '/html', { 'accept-encoding': 'gzip' }, 'HEAD');
  assert.equal(head.headers['content-encoding'], undefined);
  assert.equal(head.headers['content-length'], String(TEXT_5K.length));
  const notModified = await get(port, '/not-modified', { 'accept-encoding': 'gzip' });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers['content-encoding'], undefined);
  assert.equal(notModified.headers['etag'], '"v1"');

  // Each piece the upstream sends is flushed: the first event decompresses before the stream ends.
  const events = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
    h1Request({ host: '127.0.0.1', port, path: '/events', headers: { 'accept-encoding': 'gzip' } }, resolve).on('error', reject).end());
  assert.equal(events.headers['content-encoding'], 'gzip');
  let text = '';
  const gunzip = events.pipe(createGunzip());
  gunzip.on('data', (c: Buffer) => (text += c.toString()));
  await until('the first event, decompressed, while the stream is open', () => text === 'data: first event\n\n');
  released!();
  await new Promise((resolve) => gunzip.on('end', resolve));
  assert.equal(text, 'data: first event\n\ndata: last event\n\n');

  // A client that stops reading holds the upstream back: the proxy does not buffer the body.
  const big = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
    h1Request({ host: '127.0.0.1', port, path: '/big', headers: { 'accept-encoding': 'gzip' } }, resolve).on('error', reject).end());
  big.pause();
  let lastWritten = -1;
  let sameFor = 0;
  await until('the upstream held back by a paused client', () => {
    sameFor = bigBlocked && bigWritten === lastWritten ? sameFor + 1 : 0;
    lastWritten = bigWritten;
    return sameFor >= 10;
  });
  assert.ok(bigWritten < 32 * MiB, `upstream wrote ${bigWritten} bytes to a client that read none`);
  let unzipped = 0;
  big.pipe(createGunzip()).on('data', (c: Buffer) => (unzipped += c.length));
  await until('the whole big body', () => unzipped === bigWritten && bigWritten >= 64 * MiB, 60_000);

  // HTTP/2 clients: the same negotiation and body.
  const session = connect(`http://127.0.0.1:${port}`);
  t.after(() => session.destroy());
  const h2 = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const stream = session.request({ ':path': '/api', 'accept-encoding': 'br;q=1, gzip;q=0.9' });
    const chunks: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end();
  });
  assert.equal(h2.headers['content-encoding'], 'br');
  assert.equal(h2.headers['content-length'], undefined);
  assert.ok(brotliDecompressSync(h2.body).equals(JSON_BODY));

  // Metrics: responses and bytes by coding.
  const metrics = await mesh.mesh.metrics.registry.metrics();
  const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  assert.ok(value('sluice_proxy_compressed_responses_total{encoding="br"}') >= 3, metrics);
  assert.ok(value('sluice_proxy_compression_uncompressed_bytes_total{encoding="gzip"}') >= JSON_BODY.length + 64 * MiB);
  assert.ok(value('sluice_proxy_compression_compressed_bytes_total{encoding="gzip"}') < value('sluice_proxy_compression_uncompressed_bytes_total{encoding="gzip"}'));
});

test('compression filter config: bad values are refused naming the field', () => {
  const refused = (config: Record<string, unknown>, field: string, message: RegExp): void =>
    assert.throws(() => compression(config as never), (err: unknown) => err instanceof FilterConfigError && err.field === field && message.test(err.message));
  refused({ gzipLevel: 12 }, 'gzipLevel', /from 1 to 9/);
  refused({ brotliQuality: 4.5 }, 'brotliQuality', /whole number/);
  refused({ minLength: -1 }, 'minLength', /from 0/);
  refused({ encodings: ['deflate'] }, 'encodings', /unknown coding "deflate"/);
  refused({ encodings: ['gzip', 'gzip'] }, 'encodings', /twice/);
  refused({ encodings: [] }, 'encodings', /at least one/);
  refused({ contentTypes: ['json'] }, 'contentTypes', /not a media type/);
  // This Node (20) has no zstd in node:zlib: asking for it says so.
  if (typeof (zlibModule as { createZstdCompress?: unknown }).createZstdCompress !== 'function') refused({ encodings: ['zstd'] }, 'encodings', /not available in this Node/);
  else assert.doesNotThrow(() => compression({ encodings: ['zstd', 'gzip'] }));
  assert.doesNotThrow(() => compression({ encodings: ['gzip'], contentTypes: ['text/*', 'application/vnd.api+json'], minLength: 0, gzipLevel: 9, brotliQuality: 11 }));
});
