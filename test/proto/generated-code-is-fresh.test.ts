// proto/gen is committed; this fails when it no longer matches what buf generates from proto/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';

const root = REPO_ROOT;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('generated protobuf code matches proto/', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'sluice-gen-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const template = JSON.stringify({
    version: 'v2',
    plugins: [{ local: join(root, 'node_modules/.bin/protoc-gen-es'), out, opt: ['target=ts', 'import_extension=js'] }],
  });
  execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', 'proto', '--template', template], { cwd: root, stdio: 'pipe' });
  const committed = join(root, 'proto/gen');
  const fresh = filesUnder(out).map((f) => relative(out, f)).sort();
  assert.deepEqual(filesUnder(committed).map((f) => relative(committed, f)).sort(), fresh, 'file list differs: run npm run generate');
  for (const f of fresh) {
    assert.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(out, f), 'utf8'), `${f} is stale: run npm run generate`);
  }
});
