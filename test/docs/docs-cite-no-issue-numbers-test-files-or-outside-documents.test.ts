// Docs are for users: no issue numbers ("issue 7", "(issue 12)", "#12"), no citations of test source
// files (a user reads what Sluice does, not which test shows it), and no documents that are not in
// the repository. Commands that run a compiled file (node dist/test/...js) are instructions, not
// citations, and stay allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchingLines, userDocs } from './user-docs.js';

const RULES: Array<{ what: string; pattern: RegExp }> = [
  { what: 'an issue number', pattern: /\bissues? #?\d+|\(issues?\b|(?<![\w/&])#\d+\b/i },
  { what: 'a test source file', pattern: /\.test\.ts\b|\btest\/[\w./-]+\.ts\b/ },
  { what: 'a document outside the repository', pattern: /\b(DESIGN|STYLE|PERFORMANCE)\.md\b/ },
];

for (const { what, pattern } of RULES) {
  test(`no README, CHANGELOG or docs/ page cites ${what}`, () => {
    const found = userDocs().flatMap((doc) => matchingLines(doc.text, pattern).map((line) => `${doc.path}:${line}`));
    assert.deepEqual(found, []);
  });
}

test('the rules catch what they are for', () => {
  const [issue, testFile, outside] = RULES.map((r) => r.pattern);
  for (const line of ['Lifecycle (issue 6)', 'see issue 7', 'fixed in #12']) assert.match(line, issue!);
  for (const line of ['§8.7 of RFC 9113', 'docs/health.md#a-refused-connection', '&#8203;']) assert.doesNotMatch(line, issue!);
  assert.match('measured by `test/e2e/zero-drop-scenario.test.ts`', testFile!);
  assert.match('see test/bench/failover-bench.ts', testFile!);
  assert.doesNotMatch('node dist/test/bench/failover-bench.js --rounds 3', testFile!);
  assert.match("DESIGN.md's \"Snapshot\"", outside!);
});
