// Our encoder against our decoder over many blocks: the two dynamic tables must agree after every
// block, through evictions, values too big to index, sensitive fields and table size updates. Also
// what the encoder is for: a repeated request costs a byte per field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyErrorCode } from '../../../../data-plane/src/errors.js';
import { HpackDecoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-encoder.js';

const decoder = (maxTableSize = 4096): HpackDecoder =>
  new HpackDecoder({ maxTableSize, maxHeaderListSize: 1 << 24, maxHeaderCount: 10_000, errorCode: ProxyErrorCode.BadRequest });

function makeRandom(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

const NAMES = [
  ':authority', ':path', 'content-type', 'user-agent', 'te', 'grpc-timeout', 'x-custom', 'x-other', 'authorization',
  'cookie', 'set-cookie', 'accept-encoding', 'content-length', 'x-trace', 'date', 'proxy-authorization',
];

function randomList(rand: (n: number) => number, vocabulary: string[]): string[] {
  const list: string[] = [];
  for (let n = rand(12); n >= 0; n--) {
    const name = rand(10) === 0 ? `x-new-${rand(1000)}` : NAMES[rand(NAMES.length)]!;
    let value: string;
    const kind = rand(10);
    if (kind < 6) value = vocabulary[rand(vocabulary.length)]!;
    else if (kind < 8) value = `v${rand(100_000)}`;
    else if (kind < 9) value = 'L'.repeat(200 + rand(1500)); // some beyond a quarter of the table
    else value = Array.from({ length: rand(40) }, () => String.fromCharCode(rand(256))).join(''); // any latin1 byte
    list.push(name, value);
  }
  return list;
}

test('random lists over many blocks decode to exactly what was encoded', () => {
  const rand = makeRandom(42);
  const vocabulary = Array.from({ length: 30 }, (_, i) => `value-${i}-${'x'.repeat(rand(60))}`);
  const e = new HpackEncoder();
  const d = decoder();
  for (let block = 0; block < 2000; block++) {
    const list = randomList(rand, vocabulary);
    assert.deepEqual(d.decode(e.encode(list)), list, `block ${block}`);
    assert.ok(d.tableSize <= 4096);
  }
});

test('table size updates after setPeerMaxTableSize(0) and (256) keep both tables in step', () => {
  const rand = makeRandom(9);
  const vocabulary = Array.from({ length: 20 }, (_, i) => `v${i}`);
  const e = new HpackEncoder();
  const d = decoder();
  const roundTrip = (): Buffer => {
    const list = randomList(rand, vocabulary);
    const block = e.encode(list);
    assert.deepEqual(d.decode(block), list);
    return block;
  };
  for (let i = 0; i < 50; i++) roundTrip();
  assert.ok(d.tableSize > 0);

  e.setPeerMaxTableSize(0);
  let block = roundTrip();
  assert.equal(block[0], 0x20, 'starts with a size update to 0');
  assert.equal(d.tableSize, 0);
  for (let i = 0; i < 20; i++) assert.notEqual(roundTrip()[0]! & 0xe0, 0x20, 'no further update');
  assert.equal(d.tableSize, 0, 'nothing indexed in a zero-size table');

  e.setPeerMaxTableSize(256);
  block = roundTrip();
  assert.deepEqual([...block.subarray(0, 3)], [0x3f, 0xe1, 0x01], 'size update to 256');
  for (let i = 0; i < 50; i++) {
    roundTrip();
    assert.ok(d.tableSize <= 256);
  }

  // Down and back up between two blocks: the lowest value first, then the final one (§4.2).
  e.setPeerMaxTableSize(0);
  e.setPeerMaxTableSize(4096);
  block = roundTrip();
  assert.deepEqual([...block.subarray(0, 4)], [0x20, 0x3f, 0xe1, 0x1f]);
  // A larger peer setting than our own ceiling (4096) changes nothing.
  e.setPeerMaxTableSize(65536);
  assert.notEqual(roundTrip()[0]! & 0xe0, 0x20);
  for (let i = 0; i < 200; i++) roundTrip();
});

const GRPC_REQUEST = [
  ':method', 'POST', ':scheme', 'http', ':path', '/helloworld.Greeter/SayHello', ':authority', 'greeter.default.svc:50051',
  'content-type', 'application/grpc', 'te', 'trailers', 'user-agent', 'grpc-node-js/1.14.7', 'grpc-accept-encoding', 'identity,deflate,gzip',
];

test('a repeated gRPC request costs one byte per field', () => {
  const e = new HpackEncoder();
  const d = decoder();
  const first = e.encode(GRPC_REQUEST);
  assert.deepEqual(d.decode(first), GRPC_REQUEST);
  const again = e.encode(GRPC_REQUEST);
  assert.equal(again.length, GRPC_REQUEST.length / 2);
  assert.deepEqual(d.decode(again), GRPC_REQUEST);
});

test('credentials and short cookies are never indexed; long cookies, set-cookie and big values stay out of the table', () => {
  const e = new HpackEncoder();
  const d = decoder();
  const check = (name: string, value: string, firstByte: number): void => {
    for (let i = 0; i < 2; i++) {
      const block = e.encode([name, value]);
      assert.equal(block[0], firstByte, `${name} (${i})`);
      assert.deepEqual(d.decode(block), [name, value]);
    }
  };
  // 0001xxxx = never indexed; 0000xxxx = without indexing; 1111 + rest = a name index of 15 or more.
  check('authorization', 'Bearer abc.def', 0x1f);
  check('proxy-authorization', 'Basic Zm9vOmJhcg==', 0x1f);
  check('cookie', 'session=short', 0x1f);
  check('cookie', 'session=0123456789abcdef0123456789', 0x0f);
  check('set-cookie', 'a=b', 0x0f);
  check('x-big', 'B'.repeat(1100), 0x00);
  assert.equal(d.tableSize, 0);
  // And a plain field is indexed: the second time it is one byte.
  e.encode(['x-plain', 'yes']);
  assert.equal(e.encode(['x-plain', 'yes']).length, 1);
});

test('the returned block is the caller\'s: later encodes do not overwrite it', () => {
  const e = new HpackEncoder();
  const a = e.encode(['x-a', 'one']);
  const copy = Buffer.from(a);
  e.encode(['x-b', 'two', 'x-c', 'three']);
  assert.deepEqual(a, copy);
});
