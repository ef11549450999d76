// The README is a short introduction (at most 200 lines) that leads to every docs/ page; every relative
// link in the README and the docs points at a file the repository has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';
import { userDocs } from './user-docs.js';

const MAX_README_LINES = 200;

test(`README.md has at most ${MAX_README_LINES} lines`, () => {
  const readme = userDocs().find((d) => d.path === 'README.md')!;
  const lines = readme.text.trimEnd().split('\n').length;
  assert.ok(lines <= MAX_README_LINES, `README.md has ${lines} lines: move the detail into a docs/ page`);
});

test('README.md links every docs/ page', () => {
  const docs = userDocs();
  const readme = docs.find((d) => d.path === 'README.md')!;
  const pages = docs.filter((d) => d.path.startsWith('docs/')).map((d) => d.path);
  assert.ok(pages.length >= 10, `found only ${pages.length} docs pages`);
  assert.deepEqual(pages.filter((page) => !readme.text.includes(`](${page}`)), []);
});

test('every relative link in the README and docs/ points at a file of the repository', () => {
  const broken = userDocs().flatMap((doc) =>
    // Code (fenced blocks, inline spans) may hold "](" without being a link.
    [...doc.text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!.split('#')[0]!)
      .filter((target) => target !== '' && !/^[a-z]+:/.test(target))
      .filter((target) => !existsSync(join(REPO_ROOT, dirname(doc.path), target)))
      .map((target) => `${doc.path} -> ${target}`),
  );
  assert.deepEqual(broken, []);
});
