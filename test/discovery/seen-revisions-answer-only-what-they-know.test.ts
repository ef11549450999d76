// SeenRevisions, the start of the propagation time: the oldest revision a proxy lacked is found
// between its synced revision and the new one; a revision seen again keeps its first time; past its
// capacity the oldest are forgotten and a question about them has no answer (not a wrong one); a store
// that went backwards (a restore) starts it over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeenRevisions } from '../../control-plane/src/discovery/seen-revisions.js';

test('the oldest revision above the synced one, up to the new one', () => {
  const seen = new SeenRevisions();
  seen.saw(10, 1000);
  seen.saw(12, 1200);
  seen.saw(12, 1500);
  seen.saw(15, 1800);
  assert.equal(seen.firstSeenAfter(9, 15), 1000);
  assert.equal(seen.firstSeenAfter(10, 15), 1200, 'revision 12 keeps the time it was first seen');
  assert.equal(seen.firstSeenAfter(11, 12), 1200);
  assert.equal(seen.firstSeenAfter(12, 14), undefined, 'nothing seen between 13 and 14');
  assert.equal(seen.firstSeenAfter(15, 20), undefined);
});

test('past its capacity the oldest revisions are forgotten, and so is the answer about them', () => {
  const seen = new SeenRevisions(4);
  for (let r = 1; r <= 5; r++) seen.saw(r, r * 100);
  // Five kept past a capacity of four: the oldest three went, so a proxy synced at 1 lacked 2, unknown now.
  assert.equal(seen.firstSeenAfter(1, 5), undefined);
  assert.equal(seen.firstSeenAfter(3, 5), 400);
});

test('a store revision lower than the last starts over', () => {
  const seen = new SeenRevisions();
  seen.saw(50, 100);
  seen.saw(7, 900);
  assert.equal(seen.firstSeenAfter(6, 50), 900);
  assert.equal(seen.firstSeenAfter(0, 6), undefined);
});
