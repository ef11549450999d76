// Response trailers (gRPC's grpc-status, grpc-message) reach the handler through onResponseTrailers,
// after the body and just before onResponseEnd. A trailers-only response (a gRPC error: one HEADERS
// frame with END_STREAM carrying :status and grpc-status) is split: the head without grpc-status and
// grpc-message, then those as trailers, so every downstream sees headers, then trailers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exchange, poolTo, requestOf, startH2Server } from './support/h2-exchange.js';

const GRPC_REQUEST = ['host', 'grpc.test', 'content-type', 'application/grpc'];
const MESSAGE = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]);

test('trailers after a body: onResponseTrailers with them, between the data and onResponseEnd', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-t': 'v' }));
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.end(MESSAGE);
  });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('POST', '/pkg.Svc/Call', GRPC_REQUEST, MESSAGE.length), MESSAGE);
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(out.head?.status, 200);
  assert.equal(out.head?.headers.get('content-type'), 'application/grpc');
  assert.equal(out.head?.headers.get('grpc-status'), undefined);
  assert.ok(out.body.equals(MESSAGE));
  assert.deepEqual(out.trailers?.raw, ['grpc-status', '0', 'x-t', 'v']);
  const events = out.events.filter((e) => e !== 'drain');
  assert.deepEqual(events.slice(-2), ['trailers', 'end'], `trailers just before end: ${events.join(' ')}`);
  assert.equal(events[0], 'head');
  assert.ok(events.indexOf('trailers') > events.lastIndexOf('data'), 'trailers after the last data');
});

test('trailers with repeated fields keep them apart and in order', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.on('wantTrailers', () => stream.sendTrailers({ 'x-rep': ['one', 'two'], 'grpc-status': '0' }));
    stream.respond({ ':status': 200 }, { waitForTrailers: true });
    stream.end('body');
  });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('GET', '/'));
  assert.equal(out.error, undefined);
  assert.deepEqual(out.trailers?.getAll('x-rep'), ['one', 'two']);
  assert.equal(out.trailers?.get('grpc-status'), '0');
});

test('trailers after an empty body (HEADERS, then HEADERS with END_STREAM)', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.end();
  });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('POST', '/pkg.Svc/Call', GRPC_REQUEST, MESSAGE.length), MESSAGE);
  assert.equal(out.error, undefined);
  assert.equal(out.body.length, 0);
  assert.deepEqual(out.trailers?.raw, ['grpc-status', '0']);
  assert.deepEqual(out.events.filter((e) => e !== 'drain'), ['head', 'trailers', 'end']);
});

test('a trailers-only response: head without grpc-status/grpc-message, then those as trailers', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'nope' }, { endStream: true });
  });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('POST', '/pkg.Svc/Call', GRPC_REQUEST, MESSAGE.length), MESSAGE);
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(out.head?.status, 200);
  assert.equal(out.head?.headers.get('content-type'), 'application/grpc');
  assert.equal(out.head?.headers.get('grpc-status'), undefined);
  assert.equal(out.head?.headers.get('grpc-message'), undefined);
  assert.equal(out.trailers?.get('grpc-status'), '5');
  assert.equal(out.trailers?.get('grpc-message'), 'nope');
  assert.deepEqual(out.events.filter((e) => e !== 'drain'), ['head', 'trailers', 'end']);
});

test('a response ending with its HEADERS but without grpc-status has no trailers', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => stream.respond({ ':status': 204, 'x-h': 'kept' }, { endStream: true }));
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('GET', '/'));
  assert.equal(out.error, undefined);
  assert.equal(out.head?.status, 204);
  assert.equal(out.head?.headers.get('x-h'), 'kept');
  assert.equal(out.trailers, undefined);
  assert.deepEqual(out.events, ['head', 'end']);
});
