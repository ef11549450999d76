// The README is the reference users read: a test fails when an error code or a metric exists in the
// code but not in the README's tables (after fastify's rule for its error codes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../control-plane/src/errors.js';
import { ProxyErrorCode } from '../../data-plane/src/errors.js';
import { REPO_ROOT } from '../support/repo-root.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every control-plane error code is in the README', () => {
  const missing = Object.values(ErrorCode).filter((code) => !readme.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('every proxy error code is in the README', () => {
  const missing = Object.values(ProxyErrorCode).filter((code) => !readme.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('every metric either plane registers is in the README', () => {
  const names = new Set<string>();
  for (const file of [...sources(join(REPO_ROOT, 'control-plane/src')), ...sources(join(REPO_ROOT, 'data-plane/src'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['`](sluice_[a-z0-9_]+)['`]/g)) names.add(m[1]!);
  }
  assert.ok(names.size >= 10, `found only ${names.size} metric names: the scan is broken`);
  const missing = [...names].filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
