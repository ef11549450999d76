// Every way a peer's block can be malformed is a ProxyError with the side's code (the caller turns it
// into a COMPRESSION_ERROR and closes the connection). A list over a limit is different: the block is
// still decoded to its end so the table stays in step, and only then refused, with `limit` set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyError, ProxyErrorCode } from '../../../../data-plane/src/errors.js';
import { HpackDecoder, type HpackDecoderOptions } from '../../../../data-plane/src/protocols/http2/hpack/hpack-decoder.js';
import { HpackEncoder } from '../../../../data-plane/src/protocols/http2/hpack/hpack-encoder.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decoder = (options: Partial<HpackDecoderOptions> = {}): HpackDecoder =>
  new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20, maxHeaderCount: 1000, errorCode: ProxyErrorCode.UpstreamProtocol, ...options });

function refuses(block: Buffer, message: RegExp, code: ProxyErrorCode = ProxyErrorCode.UpstreamProtocol): void {
  const d = decoder({ errorCode: code });
  assert.throws(
    () => d.decode(block),
    (err: unknown) => {
      assert.ok(err instanceof ProxyError, String(err));
      assert.equal(err.code, code);
      assert.equal(err.limit, undefined);
      assert.match(err.message, message);
      return true;
    },
    block.toString('hex'),
  );
}

test('malformed blocks are refused with the configured code', () => {
  for (const code of [ProxyErrorCode.UpstreamProtocol, ProxyErrorCode.BadRequest]) {
    refuses(hex('80'), /index 0/, code);
    refuses(hex('be'), /index 62 beyond the 0-entry dynamic table/, code);
    refuses(hex('82 ff 80 01'), /index 255 beyond/, code); // 127 + 0·1 + 1·128, after a valid field
    refuses(hex('7e 01 61'), /index 62 beyond/, code); // literal whose name refers to an empty dynamic table
    refuses(hex('ff ff ff ff ff 0f'), /integer overflow/, code);
    refuses(hex('ff 80 80 80 80 80 00'), /integer overflow/, code);
    refuses(hex('ff 80'), /integer truncated/, code);
    refuses(hex('40'), /string literal truncated/, code);
    refuses(hex('40 01 61'), /string literal truncated/, code); // the name, then no value at all
    refuses(hex('40 05 61 62'), /string literal of 5 bytes runs past the end/, code);
    refuses(hex('00 7f ff ff ff 07'), /string literal of \d+ bytes runs past the end/, code); // ~16 MB declared: no allocation
    refuses(hex('40 85 1f ff ff ff ff 01 61'), /Huffman string contains EOS/, code);
    refuses(hex('40 82 1f ff 01 61'), /Huffman padding longer than 7 bits/, code);
    refuses(hex('40 81 18 01 61'), /not all ones/, code);
    refuses(hex('00 01 61 81 1d'), /not all ones/, code); // a bad value in a field that is not indexed
    refuses(hex('3f e2 1f'), /size update to 4097 above/, code);
    refuses(hex('82 20'), /size update after the first field/, code);
  }
});

test('size updates at the start of a block are applied, several of them too', () => {
  const d = decoder();
  d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')); // custom-key: custom-header
  assert.equal(d.tableSize, 55);
  assert.deepEqual(d.decode(hex('20 3f e1 1f 82')), [':method', 'GET']); // 0 (evicts all), then back to 4096
  assert.equal(d.tableSize, 0);
  assert.throws(() => d.decode(hex('be')), /beyond the 0-entry/);
  // A table of 54 bytes cannot hold a 55-byte entry: inserting it empties the table.
  assert.deepEqual(d.decode(hex('3f 17 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')), ['custom-key', 'custom-header']);
  assert.equal(d.tableSize, 0);
});

test('a list over maxHeaderListSize is refused after the whole block, and the table stays in step', () => {
  const e = new HpackEncoder();
  const d = decoder({ maxHeaderListSize: 300 });
  const big = ['x-a', 'a'.repeat(150), 'x-b', 'b'.repeat(150), 'x-c', 'c'.repeat(150)];
  assert.throws(
    () => d.decode(e.encode(big)),
    (err: unknown) => err instanceof ProxyError && err.code === ProxyErrorCode.UpstreamProtocol && err.limit === 'maxHeaderListSize',
  );
  // All three were inserted by the refused block; the next block refers to them by index.
  for (const field of [['x-c', 'c'.repeat(150)], ['x-a', 'a'.repeat(150)]]) {
    const again = e.encode(field);
    assert.equal(again.length, 1);
    assert.deepEqual(d.decode(again), field);
  }
});

test('a list over maxHeaderCount is refused after the whole block, and the table stays in step', () => {
  const e = new HpackEncoder();
  const d = decoder({ maxHeaderCount: 4, errorCode: ProxyErrorCode.BadRequest });
  const many = Array.from({ length: 10 }, (_, i) => [`x-${i}`, `v${i}`]).flat();
  assert.throws(
    () => d.decode(e.encode(many)),
    (err: unknown) => err instanceof ProxyError && err.code === ProxyErrorCode.BadRequest && err.limit === 'maxHeaderCount',
  );
  const next = ['x-9', 'v9', 'x-5', 'v5', 'x-0', 'v0'];
  const block = e.encode(next);
  assert.equal(block.length, 3);
  assert.deepEqual(d.decode(block), next);
});

test('a block referencing a big entry thousands of times is refused without building the list', () => {
  const d = decoder({ maxHeaderListSize: 65_536 });
  const value = 'v'.repeat(4000);
  // One 4 KB entry, then 16 000 one-byte references to it: a 64 MB list from a 20 KB block.
  const block = Buffer.concat([Buffer.from([0x40, 0x01, 0x78, 0x7f, 0x80 | 33, 30]), Buffer.from(value, 'latin1'), Buffer.alloc(16_000, 0xbe)]);
  assert.equal(127 + 33 + 30 * 128, 4000);
  let pushes = 0;
  const push = Array.prototype.push;
  Array.prototype.push = function (this: unknown[], ...items: unknown[]): number {
    pushes++;
    return push.apply(this, items);
  };
  let error: unknown;
  try {
    d.decode(block);
  } catch (err) {
    error = err;
  } finally {
    Array.prototype.push = push;
  }
  assert.ok(error instanceof ProxyError && error.limit === 'maxHeaderListSize', String(error));
  // 65 536 / (1 + 4000 + 32) fields fit: the decoder stopped appending there.
  assert.ok(pushes <= 17, `appended ${pushes} times`);
  assert.equal(d.tableSize, 4033);
});
