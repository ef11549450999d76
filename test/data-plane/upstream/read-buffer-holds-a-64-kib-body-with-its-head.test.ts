// An upstream read buffer holds a 64 KiB body together with its response head: with buffers of
// exactly 64 KiB such a response took two reads and two downstream writes, the second of which
// waited for the client socket to drain (about 13% more CPU per response, docs/benchmarks.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takeReadBuffer } from '../../../data-plane/src/upstream/read-buffer-pool.js';

test('a pooled read buffer takes a 64 KiB body and a response head of up to 8 KiB in one read', () => {
  const rb = takeReadBuffer();
  rb.hold();
  assert.ok(rb.buf.length >= 64 * 1024 + 8 * 1024, `read buffer of ${rb.buf.length} bytes`);
  rb.release();
  // Released to the pool: the next read takes the same buffer rather than a new one.
  assert.equal(takeReadBuffer(), rb);
});
