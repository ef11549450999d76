// The queue behind a listener's idle connections: oldest first, a member at most once, and members
// taken out from anywhere, as the Set it replaced did (it exists because a Set that changes on every
// request makes garbage in V8's old generation; the latency benchmark counts those full collections).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkedQueue, QueueNode } from '../../../data-plane/src/proxy/linked-queue.js';

function drain<T>(q: LinkedQueue<T>, nodes: Map<T, QueueNode<T>>): T[] {
  const out: T[] = [];
  for (let v = q.first(); v !== undefined; v = q.first()) {
    out.push(v);
    q.remove(nodes.get(v)!);
  }
  return out;
}

test('a linked queue keeps insertion order, holds a member once and removes from anywhere', () => {
  const q = new LinkedQueue<string>();
  const nodes = new Map(['a', 'b', 'c', 'd'].map((v) => [v, new QueueNode(v)]));
  const n = (v: string): QueueNode<string> => nodes.get(v)!;
  assert.equal(q.first(), undefined);
  for (const v of ['a', 'b', 'c', 'd']) q.push(n(v));
  q.push(n('b'));
  assert.equal(q.size, 4, 'pushing a member again does not add it twice');
  q.remove(n('c'));
  q.remove(n('c'));
  assert.equal(q.size, 3, 'removing twice removes once');
  q.remove(n('a'));
  q.push(n('a'));
  assert.equal(q.first(), 'b', 'the head left, the next one is the oldest');
  q.remove(n('d'));
  q.push(n('c'));
  assert.deepEqual(drain(q, nodes), ['b', 'a', 'c'], 'oldest first, a member pushed again goes last');
  assert.equal(q.size, 0);
  // Emptied from both ends, the queue takes members again.
  q.push(n('d'));
  assert.deepEqual(drain(q, nodes), ['d']);
});
