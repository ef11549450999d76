// The commands the docs give (node dist/....js, npm run SCRIPT) name a compiled file the build has and
// a script package.json has, so a moved benchmark or renamed script shows up here, not in a reader's
// shell. npm test builds before it runs this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';
import { userDocs } from './user-docs.js';

test('every dist/ file a command in the docs runs exists after the build', () => {
  const named = userDocs().flatMap((doc) => [...doc.text.matchAll(/\b(dist\/[\w./-]+\.js)\b/g)].map((m) => ({ doc: doc.path, file: m[1]! })));
  assert.ok(named.length >= 8, `found only ${named.length} commands: the scan is broken`);
  assert.deepEqual(named.filter((n) => !existsSync(join(REPO_ROOT, n.file))).map((n) => `${n.doc}: ${n.file}`), []);
});

test('every npm run script the docs name is in package.json', () => {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const named = userDocs().flatMap((doc) => [...doc.text.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => ({ doc: doc.path, script: m[1]! })));
  assert.deepEqual(named.filter((n) => !(n.script in scripts)).map((n) => `${n.doc}: npm run ${n.script}`), []);
});
