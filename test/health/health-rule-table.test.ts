// The aggregation rule (control-plane/src/health/health-rule.ts) as a table: majority wins, UNKNOWN
// abstains, ties fail open (HEALTHY, then DRAINING, then UNHEALTHY), and the order of votes never matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { decideHealth } from '../../control-plane/src/health/health-rule.js';

const { HEALTHY: H, UNHEALTHY: U, DRAINING: D, UNKNOWN: N } = Health;

const TABLE: Array<[string, Health[], Health | undefined]> = [
  ['nobody has a verdict', [], undefined],
  ['only abstentions', [N, N], undefined],
  ['one healthy', [H], H],
  ['one unhealthy', [U], U],
  ['2 of 3 unhealthy', [H, U, U], U],
  ['2 of 3 healthy', [U, H, H], H],
  ['tie 1-1 fails open', [U, H], H],
  ['tie 2-2 fails open', [U, U, H, H], H],
  ['abstentions do not count', [U, N, N, N], U],
  ['draining beats unhealthy on a tie', [U, D], D],
  ['healthy beats draining on a tie', [D, H], H],
  ['draining majority', [D, D, H], D],
  ['unhealthy plurality of three kinds', [U, U, H, D], U],
];

test('the health rule: majority, UNKNOWN abstains, ties fail open', () => {
  for (const [name, votes, expected] of TABLE) {
    assert.equal(decideHealth(votes), expected, name);
    // Every replica computes the same answer whatever order it read the entries in.
    assert.equal(decideHealth([...votes].reverse()), expected, `${name} (reversed)`);
  }
});
