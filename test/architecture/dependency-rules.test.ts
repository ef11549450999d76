// The architecture holds: the planes import each other only as .dependency-cruiser.cjs allows, there
// are no cycles, and no code reads outside the repository. The second test breaks every rule on
// purpose in a scratch tree and checks that each one is caught, so the first cannot pass vacuously.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/repo-root.js';
import { cruise, outsideReads } from './dependency-check.js';

test('the repository keeps its dependency rules: no cross-plane import, no cycle, nothing outside', { timeout: 120_000 }, () => {
  assert.deepEqual(cruise(REPO_ROOT), []);
  assert.deepEqual(outsideReads(REPO_ROOT), []);
});

test('each rule catches a deliberate violation', { timeout: 120_000 }, (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-architecture-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const root = join(scratch, 'repo');
  const files: Record<string, string> = {
    'bin/main.ts': "import '../control-plane/src/plane.js';\nimport '../data-plane/src/index.js';\n",
    'control-plane/src/plane.ts': "import '../../data-plane/src/index.js';\nimport '../../proto/src/model.js';\nexport const plane = 1;\n",
    'control-plane/src/reaches-into-proxy.ts': "import '../../data-plane/src/internal.js';\n",
    'control-plane/src/imports-bin.ts': "import '../../bin/main.js';\n",
    'control-plane/src/imports-test.ts': "import '../../test/helper.js';\n",
    'control-plane/src/store/imports-upward.ts': "import '../health/checker.js';\n",
    'control-plane/src/health/checker.ts': 'export const checker = 1;\n',
    'data-plane/src/index.ts': "export { internal } from './internal.js';\n",
    'data-plane/src/internal.ts': 'export const internal = 1;\n',
    'data-plane/src/imports-control-plane.ts': "import '../../control-plane/src/plane.js';\n",
    'proto/src/model.ts': 'export const model = 1;\n',
    'proto/src/imports-plane.ts': "import '../../data-plane/src/index.js';\n",
    'proto/src/cycle-a.ts': "import './cycle-b.js';\nexport const a = 1;\n",
    'proto/src/cycle-b.ts': "import './cycle-a.js';\nexport const b = 1;\n",
    'proto/src/unresolvable.ts': "import './no-such-file.js';\n",
    'proto/src/leaves-repository.ts': "import '../../../outside/neighbour.js';\n",
    'test/helper.ts': 'export const helper = 1;\n',
    // Written so that this test file itself does not match what it plants.
    'test/reads-outside.ts': [
      "import { readFileSync } from 'node:fs';",
      `readFileSync('${['..', 'shared', 'DESIGN.md'].join('/')}');`,
      `readFileSync(new URL('${'../'.repeat(4)}elsewhere.txt', import.meta.url));`,
      `readFileSync(${'process'}.cwd() + '/x');`,
      '',
    ].join('\n'),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(scratch, 'outside'));
  writeFileSync(join(scratch, 'outside', 'neighbour.ts'), 'export const neighbour = 1;\n');

  const violations = cruise(root, join(REPO_ROOT, '.dependency-cruiser.cjs'));
  const caught = (rule: string): string[] => violations.filter((v) => v.rule === rule).map((v) => `${v.from} → ${v.to}`).sort();
  assert.deepEqual(caught('data-plane-imports-no-control-plane'), ['data-plane/src/imports-control-plane.ts → control-plane/src/plane.ts']);
  assert.deepEqual(caught('control-plane-uses-data-plane-entry-only'), ['control-plane/src/reaches-into-proxy.ts → data-plane/src/internal.ts']);
  assert.deepEqual(caught('api-package-imports-no-plane'), ['proto/src/imports-plane.ts → data-plane/src/index.ts']);
  assert.deepEqual(caught('only-bin-wires-the-planes'), ['control-plane/src/imports-bin.ts → bin/main.ts']);
  assert.deepEqual(caught('store-is-the-control-planes-bottom-layer'), ['control-plane/src/store/imports-upward.ts → control-plane/src/health/checker.ts']);
  assert.deepEqual(caught('sources-import-no-tests'), ['control-plane/src/imports-test.ts → test/helper.ts']);
  assert.deepEqual(caught('nothing-outside-the-repository'), ['proto/src/leaves-repository.ts → ../outside/neighbour.ts']);
  assert.ok(caught('no-cycles').some((v) => v.includes('cycle-a.ts') || v.includes('cycle-b.ts')), JSON.stringify(violations));
  assert.deepEqual(caught('no-unresolvable-imports'), ['proto/src/unresolvable.ts → ./no-such-file.js']);

  const reads = outsideReads(root);
  assert.equal(reads.length, 3, reads.join('\n'));
  assert.match(reads[0]!, /^test\/reads-outside\.ts:2: a path into a shared folder beside the repository/);
  assert.match(reads[1]!, /^test\/reads-outside\.ts:3: new URL\('\.\.\/\.\.\/\.\.\/\.\.\/elsewhere\.txt', import\.meta\.url\) leaves the repository/);
  assert.match(reads[2]!, /^test\/reads-outside\.ts:4: a test resolving a path from the working directory/);
});
