// An upstream that breaks HTTP/2 itself (garbage after its SETTINGS, a header block HPACK cannot
// decode: a connection error, RFC 9113 §5.4.1) fails the exchange in flight with an upstream error,
// never crashes the process, and leaves no broken session in the pool: the next request connects
// again. The server here is a raw TCP one that writes frames by hand; its second connection behaves.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { ProxyErrorCode } from '../../../data-plane/src/errors.js';
import { exchange, poolTo, requestOf, startRawServer, within } from './support/h2-exchange.js';

const PREFACE_BYTES = 24;
const SETTINGS = 0x4;
const HEADERS = 0x1;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/**
 * Reads the client's preface and frames; calls `onHeaders(streamId, n)` at each HEADERS frame (a
 * request; n counts them from 1). Answers the client's SETTINGS with an ACK so the client sees a live
 * connection.
 */
function onClientRequest(socket: Socket, onHeaders: (streamId: number, n: number) => void): void {
  let buf = Buffer.alloc(0);
  let prefaceSeen = false;
  let requests = 0;
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!prefaceSeen) {
      if (buf.length < PREFACE_BYTES) return;
      buf = buf.subarray(PREFACE_BYTES);
      prefaceSeen = true;
    }
    while (buf.length >= 9) {
      const length = buf.readUIntBE(0, 3);
      if (buf.length < 9 + length) return;
      const type = buf[3]!;
      const flags = buf[4]!;
      const streamId = buf.readUInt32BE(5) & 0x7fffffff;
      buf = buf.subarray(9 + length);
      if (type === SETTINGS && (flags & ACK) === 0) socket.write(frame(SETTINGS, ACK, 0));
      if (type === HEADERS) onHeaders(streamId, ++requests);
    }
  });
}

/** The well-behaved answer: SETTINGS, then :status 200 (HPACK static index 8) ending the stream. */
function answer200(socket: Socket): void {
  socket.write(frame(SETTINGS, 0, 0));
  onClientRequest(socket, (id) => ok200(socket, id));
}

function ok200(socket: Socket, streamId: number): void {
  socket.write(frame(HEADERS, END_HEADERS | END_STREAM, streamId, Buffer.from([0x88])));
}

async function misbehaving(t: import('node:test').TestContext, misbehave: (socket: Socket, streamId: number) => void) {
  const raw = await startRawServer(t, (socket, n) => {
    if (n > 1) return answer200(socket);
    socket.write(frame(SETTINGS, 0, 0));
    // The first request meets the misbehaviour; any later one on the same connection is answered.
    onClientRequest(socket, (id, k) => (k === 1 ? misbehave(socket, id) : ok200(socket, id)));
  });
  return raw;
}

/** `connectionError`: the misbehaviour kills the connection, so the next request must use a new one. */
async function expectUpstreamErrorThenRecovery(t: import('node:test').TestContext, raw: { port: number; sockets: Socket[] }, connectionError = true): Promise<void> {
  const pool = poolTo(t, raw.port, { connectTimeoutMs: 1_000 });
  const first = await within(exchange(pool, requestOf('GET', '/')), 5_000);
  assert.notEqual(first, 'timeout', 'the broken exchange ended');
  if (first === 'timeout') return;
  assert.ok(
    first.error?.code === ProxyErrorCode.UpstreamProtocol || first.error?.code === ProxyErrorCode.UpstreamReset,
    `an upstream protocol error or reset, got ${first.error?.code ?? 'no error'} (events: ${first.events.join(' ')})`,
  );
  assert.ok(!first.events.includes('end'), 'not taken for a complete response');

  const second = await within(exchange(pool, requestOf('GET', '/')), 5_000);
  assert.notEqual(second, 'timeout', 'the next exchange ended');
  if (second === 'timeout') return;
  assert.equal(second.error, undefined, `the next exchange works: ${second.error?.message}`);
  assert.equal(second.head?.status, 200);
  if (connectionError) {
    assert.equal(raw.sockets.length, 2, 'on a new connection');
    assert.equal(pool.getStats().created, 2);
  }
}

test('garbage after the server SETTINGS: the exchange fails, the next one connects again', { timeout: 20_000 }, async (t) => {
  // An HTTP/1.1 answer where a frame should be: read as a frame header of length 0x485454 (over the
  // 16 KiB maximum frame size: FRAME_SIZE_ERROR) of an unknown type.
  const raw = await misbehaving(t, (socket) => socket.write('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
  await expectUpstreamErrorThenRecovery(t, raw);
});

test('a HEADERS frame whose HPACK block cannot be decoded (index 0): the exchange fails, the next one connects again', { timeout: 20_000 }, async (t) => {
  // 0x80 is an indexed field with index 0, which HPACK forbids (RFC 7541 §6.1): COMPRESSION_ERROR.
  const raw = await misbehaving(t, (socket, id) => socket.write(frame(HEADERS, END_HEADERS, id, Buffer.from([0x80]))));
  await expectUpstreamErrorThenRecovery(t, raw);
});

test('a DATA frame on stream 0 (PROTOCOL_ERROR): the exchange fails, the next one connects again', { timeout: 20_000 }, async (t) => {
  const raw = await misbehaving(t, (socket) => socket.write(frame(0x0, 0, 0, Buffer.from('stray'))));
  await expectUpstreamErrorThenRecovery(t, raw);
});

test('a response HEADERS without :status: the exchange fails (malformed response, a stream error: RFC 9113 §8.1.1)', { timeout: 20_000 }, async (t) => {
  // Only content-type: text/plain... (literal with static name index 31 = content-type).
  const block = Buffer.concat([Buffer.from([0x0f, 0x10, 0x0a]), Buffer.from('text/plain')]);
  const raw = await misbehaving(t, (socket, id) => socket.write(frame(HEADERS, END_HEADERS | END_STREAM, id, block)));
  // A stream error: the connection may carry the next request, or a new one may.
  await expectUpstreamErrorThenRecovery(t, raw, false);
});

test('garbage, then the server hangs up: the exchange fails (it is not taken for a complete response)', { timeout: 20_000 }, async (t) => {
  const raw = await misbehaving(t, (socket) => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
  await expectUpstreamErrorThenRecovery(t, raw);
});
