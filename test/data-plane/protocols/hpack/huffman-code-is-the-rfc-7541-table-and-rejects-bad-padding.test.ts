// The Huffman table is spec data: one wrong code and a peer's strings decode to garbage. These check
// its shape (a complete prefix code, EOS = 30 ones), the RFC's own example strings both ways, every
// byte round-tripping, and the three §5.2 decoding errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EOS,
  HUFFMAN_BAD_PADDING,
  HUFFMAN_CODES,
  HUFFMAN_EOS,
  HUFFMAN_LENGTHS,
  HUFFMAN_PADDING_TOO_LONG,
  huffmanDecodedMax,
  huffmanDecodeTo,
  huffmanEncodedLength,
  huffmanEncodeTo,
} from '../../../../data-plane/src/protocols/http2/hpack/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decode(bytes: Uint8Array): string | number {
  const out = Buffer.alloc(huffmanDecodedMax(bytes.length));
  const n = huffmanDecodeTo(bytes, 0, bytes.length, out);
  return n < 0 ? n : out.toString('latin1', 0, n);
}

function encode(s: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  assert.equal(huffmanEncodeTo(s, out, 0), out.length);
  return out;
}

test('the table is a complete prefix code of 257 symbols, EOS is 30 ones', () => {
  let kraft = 0;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = HUFFMAN_LENGTHS[sym]!;
    assert.ok(len >= 5 && len <= 30, `length of ${sym}`);
    assert.ok(HUFFMAN_CODES[sym]! < 2 ** len, `code of ${sym} fits its length`);
    kraft += 2 ** -len;
  }
  assert.equal(kraft, 1);
  assert.equal(HUFFMAN_LENGTHS[EOS], 30);
  assert.equal(HUFFMAN_CODES[EOS], 0x3fffffff);
  // No code is a prefix of another (with the sum above: the code is complete and decodable).
  const seen = new Set<string>();
  const bits = [...HUFFMAN_CODES].map((c, s) => c.toString(2).padStart(HUFFMAN_LENGTHS[s]!, '0')).sort();
  for (let i = 0; i + 1 < bits.length; i++) assert.ok(!bits[i + 1]!.startsWith(bits[i]!), `${bits[i]} prefixes ${bits[i + 1]}`);
  for (const b of bits) seen.add(b);
  assert.equal(seen.size, 257);
  // Spot checks against Appendix B rows.
  const rows: Array<[number, number, number]> = [
    [0, 0x1ff8, 13], [10, 0x3ffffffc, 30], [32, 0x14, 6], [48, 0x0, 5], [97, 0x3, 5], [101, 0x5, 5], [126, 0x1ffd, 13],
    [127, 0xffffffc, 28], [200, 0x3ffffe2, 26], [255, 0x3ffffee, 26],
  ];
  for (const [sym, code, len] of rows) assert.deepEqual([HUFFMAN_CODES[sym], HUFFMAN_LENGTHS[sym]], [code, len], `symbol ${sym}`);
});

const RFC_STRINGS: Array<[string, string]> = [
  ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
  ['no-cache', 'a8eb 1064 9cbf'],
  ['custom-key', '25a8 49e9 5ba9 7d7f'],
  ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
  ['302', '6402'],
  ['private', 'aec3 771a 4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
  ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
  ['gzip', '9bd9 ab'],
  [
    'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
  ],
];

test('the RFC 7541 Appendix C strings encode and decode to the printed bytes', () => {
  for (const [text, bytes] of RFC_STRINGS) {
    assert.equal(encode(text).toString('hex'), hex(bytes).toString('hex'), text);
    assert.equal(decode(hex(bytes)), text);
  }
});

test('every byte value, alone and in random strings, round-trips', () => {
  for (let b = 0; b < 256; b++) {
    const s = String.fromCharCode(b);
    assert.equal(decode(encode(s)), s, `byte ${b}`);
  }
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 8) & 0xff;
  for (let i = 0; i < 500; i++) {
    let s = '';
    for (let n = rand() % 80; n > 0; n--) s += String.fromCharCode(rand());
    assert.equal(decode(encode(s)), s);
  }
  assert.equal(decode(new Uint8Array(0)), '');
});

test('EOS inside the string, padding over 7 bits and padding with a zero are refused', () => {
  // 'a' (00011) then EOS (30 ones) then 5 bits of padding.
  assert.equal(decode(hex('1f ff ff ff ff')), HUFFMAN_EOS);
  // EOS alone, padded: 30 ones + 2.
  assert.equal(decode(hex('ff ff ff ff')), HUFFMAN_EOS);
  // 'a' then 11 ones; a lone byte of 8 ones.
  assert.equal(decode(hex('1f ff')), HUFFMAN_PADDING_TOO_LONG);
  assert.equal(decode(hex('ff')), HUFFMAN_PADDING_TOO_LONG);
  // 'a' then 000: padding must be the top bits of EOS (ones).
  assert.equal(decode(hex('18')), HUFFMAN_BAD_PADDING);
  // 'a' then 111 ends cleanly; 'a' then 101 does not.
  assert.equal(decode(hex('1f')), 'a');
  assert.equal(decode(hex('1d')), HUFFMAN_BAD_PADDING);
});
