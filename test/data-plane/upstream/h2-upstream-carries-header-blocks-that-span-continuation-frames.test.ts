// A header block larger than one frame (SETTINGS_MAX_FRAME_SIZE is 16 KiB by default) is sent as
// HEADERS plus CONTINUATION frames (RFC 9113 §6.10). 200 fields of 100 bytes each, in a response and
// in a request, arrive whole and in order. (An HTTP/1.1 upstream's response head may be 64 KiB with
// any number of fields, http1-connection.ts; an HTTP/2 one is held to no less.)
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { exchange, poolTo, requestOf, startH2Server } from './support/h2-exchange.js';

/** 100 printable characters, random so that HPACK's Huffman code cannot shrink the block under a frame. */
function value(length = 100): string {
  let s = '';
  while (s.length < length) s += String.fromCharCode(randomInt(0x21, 0x7f));
  return s;
}

const FIELDS: Array<[string, string]> = Array.from({ length: 200 }, (_, i) => [`x-large-${String(i).padStart(3, '0')}`, value()]);
const FLAT = FIELDS.flat();

function only(raw: readonly string[], prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.startsWith(prefix)) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

test('a response with 200 headers of 100 bytes arrives intact and in order', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream) => {
    // An object's string keys keep their insertion order.
    stream.respond({ ':status': 200, ...Object.fromEntries(FIELDS) });
    stream.end('after a big head');
  });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('GET', '/'));
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(out.head?.status, 200);
  assert.deepEqual(only(out.head!.headers.raw, 'x-large-'), FLAT);
  assert.equal(out.body.toString(), 'after a big head');
});

test('a response header block of 30 KiB in 100 fields (fewer fields, still CONTINUATION) arrives intact', { timeout: 20_000 }, async (t) => {
  const wide: Array<[string, string]> = Array.from({ length: 100 }, (_, i) => [`x-wide-${String(i).padStart(3, '0')}`, value(300)]);
  const server = await startH2Server(t, (stream) => {
    stream.respond({ ':status': 200, ...Object.fromEntries(wide) });
    stream.end('ok');
  });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('GET', '/'));
  assert.equal(out.error, undefined, out.error?.message);
  assert.deepEqual(only(out.head!.headers.raw, 'x-wide-'), wide.flat());
});

test('a request with 200 headers of 100 bytes arrives intact and in order', { timeout: 20_000 }, async (t) => {
  let seen: string[] = [];
  const server = await startH2Server(t, (stream, _h, _f, raw) => {
    seen = raw;
    stream.respond({ ':status': 204 }, { endStream: true });
  }, { maxHeaderListPairs: 1000 });
  const pool = poolTo(t, server.port);
  const out = await exchange(pool, requestOf('GET', '/', ['host', 'upstream.test', ...FLAT]));
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(out.head?.status, 204);
  assert.deepEqual(only(seen, 'x-large-'), FLAT);
});

test('big header blocks on many streams at once keep the HPACK tables in step', { timeout: 20_000 }, async (t) => {
  const server = await startH2Server(t, (stream, headers) => {
    const n = String(headers['x-n']);
    stream.respond({ ':status': 200, 'x-n': n, ...Object.fromEntries(FIELDS.slice(0, 50)) });
    stream.end(n);
  });
  const pool = poolTo(t, server.port);
  const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(pool, requestOf('GET', `/${i}`, ['host', 'upstream.test', 'x-n', String(i), ...FIELDS.slice(50, 100).flat()]))));
  outs.forEach((out, i) => {
    assert.equal(out.error, undefined, out.error?.message);
    assert.equal(out.head?.headers.get('x-n'), String(i));
    assert.deepEqual(only(out.head!.headers.raw, 'x-large-'), FIELDS.slice(0, 50).flat());
    assert.equal(out.body.toString(), String(i));
  });
});
