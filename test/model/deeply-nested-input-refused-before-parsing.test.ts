// Input nesting deeper than MAX_NESTING_DEPTH is refused with its document's path before the YAML
// parser sees it: the parser's recursion used to overflow the stack (reported as "Maximum call stack
// size exceeded"), take seconds on a few hundred KB, and, when the overflow hit V8's regexp compiler,
// abort the whole process ("FATAL ERROR: RegExpCompiler Allocation failed").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { MAX_NESTING_DEPTH } from '../../proto/src/model/nesting-limit.js';

const DEEP: Array<[string, (depth: number) => string]> = [
  ['flow mappings', (d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)],
  ['flow sequences', (d) => '['.repeat(d) + ']'.repeat(d)],
  ['compact block sequences', (d) => `${'- '.repeat(d)}x`],
  ['indented block mappings', (d) => Array.from({ length: d }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1'],
];

test('YAML nesting deeper than the limit is refused with the document path, whatever its shape', () => {
  for (const [shape, deep] of DEEP) {
    for (const depth of [MAX_NESTING_DEPTH + 1, 5000, 100_000]) {
      const text = `kind: Cluster\nname: ok\n---\nkind: Cluster\nname: deep\nendpoints: ${shape.startsWith('indented') ? '\n' : ''}${deep(Math.min(depth, 2000))}\n`;
      const parsed = parseDocuments(text, 'yaml');
      assert.equal(parsed.ok, false, `${shape} ${depth}`);
      assert.deepEqual(parsed.ok ? [] : parsed.errors.map((e) => e.path), ['documents[1]'], `${shape} ${depth}`);
      assert.match(parsed.ok ? '' : parsed.errors[0]!.message, /^nests deeper than 64 levels \(line \d+\)$/, `${shape} ${depth}`);
    }
  }
});

test('JSON nesting deeper than the limit is refused at `body`', () => {
  const parsed = parseDocuments(`{"resources":[{"kind":"Route","name":"r","filters":[{"name":"f","config":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]}]}`, 'json');
  assert.deepEqual(parsed, { ok: false, errors: [{ path: 'body', message: 'nests deeper than 64 levels' }] });
});

test('nesting within the limit still parses (a filter configuration 40 levels deep)', () => {
  const config = '{"a":'.repeat(40) + '1' + '}'.repeat(40);
  for (const [text, format] of [[`kind: Route\nname: r\nfilters:\n  - name: f\n    config: ${config}\n`, 'yaml'], [`{"kind":"Route","name":"r","filters":[{"name":"f","config":${config}}]}`, 'json']] as const) {
    const parsed = parseDocuments(text, format);
    assert.ok(parsed.ok, JSON.stringify(parsed));
  }
});

test('a run of deeply nested documents does not abort the process', () => {
  // The sequence that aborted Node inside V8's regexp compiler when the YAML parser ran out of stack.
  const documents = fileURLToPath(new URL('../../proto/src/model/documents.js', import.meta.url));
  const script = `
    const { parseDocuments } = await import(${JSON.stringify(documents)});
    const shapes = [(d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d), (d) => '['.repeat(d) + ']'.repeat(d), (d) => '- '.repeat(d) + 'x'];
    for (const d of [200, 500, 1000, 2000, 5000, 10000, 100000]) for (const shape of shapes) parseDocuments(shape(d), 'yaml');
    console.log('done');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, `exit ${child.status} ${child.signal ?? ''}: ${child.stderr.split('\n').slice(0, 3).join('\n')}`);
  assert.equal(child.stdout.trim(), 'done');
});
