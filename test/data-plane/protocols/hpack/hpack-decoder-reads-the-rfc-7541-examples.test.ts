// RFC 7541 Appendix C, byte for byte: single fields (C.2), three requests sharing a dynamic table
// without and with Huffman (C.3, C.4), and three responses in a 256-byte table that evicts (C.5, C.6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyErrorCode } from '../../../../data-plane/src/errors.js';
import { HpackDecoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-encoder.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decoder = (maxTableSize = 4096): HpackDecoder =>
  new HpackDecoder({ maxTableSize, maxHeaderListSize: 1 << 20, maxHeaderCount: 1000, errorCode: ProxyErrorCode.UpstreamProtocol });

test('C.2: one field of each representation', () => {
  const cases: Array<[string, string[], number]> = [
    ['400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', ['custom-key', 'custom-header'], 55],
    ['040c 2f73 616d 706c 652f 7061 7468', [':path', '/sample/path'], 0],
    ['1008 7061 7373 776f 7264 0673 6563 7265 74', ['password', 'secret'], 0],
    ['82', [':method', 'GET'], 0],
  ];
  for (const [bytes, list, size] of cases) {
    const d = decoder();
    assert.deepEqual(d.decode(hex(bytes)), list);
    assert.equal(d.tableSize, size, bytes);
  }
});

const REQUESTS = [
  [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com'],
  [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com', 'cache-control', 'no-cache'],
  [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value'],
];
const REQUEST_SIZES = [57, 110, 164];

test('C.3: three requests without Huffman share the dynamic table', () => {
  const d = decoder();
  const blocks = [
    '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    '8286 84be 5808 6e6f 2d63 6163 6865',
    '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
  ];
  blocks.forEach((b, i) => {
    assert.deepEqual(d.decode(hex(b)), REQUESTS[i]);
    assert.equal(d.tableSize, REQUEST_SIZES[i]);
  });
});

const C4 = [
  '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
  '8286 84be 5886 a8eb 1064 9cbf',
  '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
];

test('C.4: the same requests with Huffman-coded strings', () => {
  const d = decoder();
  C4.forEach((b, i) => {
    assert.deepEqual(d.decode(hex(b)), REQUESTS[i]);
    assert.equal(d.tableSize, REQUEST_SIZES[i]);
  });
});

test('C.4: our encoder produces exactly the RFC bytes for these requests', () => {
  const e = new HpackEncoder();
  C4.forEach((b, i) => assert.equal(e.encode(REQUESTS[i]!).toString('hex'), hex(b).toString('hex')));
});

const RESPONSES = [
  [':status', '302', 'cache-control', 'private', 'date', 'Mon, 21 Oct 2013 20:13:21 GMT', 'location', 'https://www.example.com'],
  [':status', '307', 'cache-control', 'private', 'date', 'Mon, 21 Oct 2013 20:13:21 GMT', 'location', 'https://www.example.com'],
  [
    ':status', '200', 'cache-control', 'private', 'date', 'Mon, 21 Oct 2013 20:13:22 GMT', 'location', 'https://www.example.com',
    'content-encoding', 'gzip', 'set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
  ],
];
const RESPONSE_SIZES = [222, 222, 215];

test('C.5: three responses in a 256-byte table, evicting', () => {
  const d = decoder(256);
  const blocks = [
    `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
     2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
    '4803 3330 37c1 c0bf',
    `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
     54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
     5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
  ];
  blocks.forEach((b, i) => {
    assert.deepEqual(d.decode(hex(b)), RESPONSES[i]);
    assert.equal(d.tableSize, RESPONSE_SIZES[i]);
  });
});

test('C.6: the same responses with Huffman, the same evictions', () => {
  const d = decoder(256);
  const blocks = [
    `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
     2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    '4883 640e ffc1 c0bf',
    `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
     77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
     9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
  ];
  blocks.forEach((b, i) => {
    assert.deepEqual(d.decode(hex(b)), RESPONSES[i]);
    assert.equal(d.tableSize, RESPONSE_SIZES[i]);
  });
  // After the third block the table holds set-cookie (62), content-encoding (63), date (64) only.
  assert.deepEqual(d.decode(hex('be bf c0')), [RESPONSES[2]![10], RESPONSES[2]![11], 'content-encoding', 'gzip', 'date', RESPONSES[2]![5]]);
  assert.throws(() => d.decode(hex('c1')), /beyond the 3-entry dynamic table/);
});
