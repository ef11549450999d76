// The webhook's JSON Patch generator: applied by an independent RFC 6902 implementation
// (fast-json-patch), its operations turn any JSON document into any other, keys holding `/` and `~`
// are escaped (RFC 6901), and an array that only grew at either end gets `add`s, not a rewrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import jsonPatchLibrary from 'fast-json-patch';
import { jsonPatch } from '../../control-plane/src/injection/json-patch.js';

function apply(before: unknown, after: unknown): unknown {
  return jsonPatchLibrary.applyPatch(structuredClone(before), jsonPatch(before, after) as jsonPatchLibrary.Operation[], true, true).newDocument;
}

test('keys with "/" and "~" are escaped as ~1 and ~0', () => {
  const before = { metadata: { annotations: { 'a/b': 'x' } } };
  const after = { metadata: { annotations: { 'a/b': 'y', 'sluice.io/status': '{}', 'x~y': '1' } } };
  assert.deepEqual(jsonPatch(before, after), [
    { op: 'replace', path: '/metadata/annotations/a~1b', value: 'y' },
    { op: 'add', path: '/metadata/annotations/sluice.io~1status', value: '{}' },
    { op: 'add', path: '/metadata/annotations/x~0y', value: '1' },
  ]);
  assert.deepEqual(apply(before, after), after);
});

test('elements put before or after an array\'s own are added one by one; the existing ones are not rewritten', () => {
  const before = { initContainers: [{ name: 'migrate' }], volumes: [{ name: 'a' }] };
  const after = { initContainers: [{ name: 'sluice-init' }, { name: 'sluice-proxy' }, { name: 'migrate' }], volumes: [{ name: 'a' }, { name: 'b' }] };
  assert.deepEqual(jsonPatch(before, after), [
    { op: 'add', path: '/initContainers/0', value: { name: 'sluice-init' } },
    { op: 'add', path: '/initContainers/1', value: { name: 'sluice-proxy' } },
    { op: 'add', path: '/volumes/-', value: { name: 'b' } },
  ]);
  assert.deepEqual(apply(before, after), after);
});

test('equal documents need no operation', () => {
  assert.deepEqual(jsonPatch({ a: [1, { b: null }] }, { a: [1, { b: null }] }), []);
});

test('applied, the patch turns any JSON document into any other', () => {
  const key = fc.oneof(fc.constantFrom('a', 'b', 'a/b', '~', '~1', 'x~0/y', ''), fc.string({ maxLength: 4 }));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, true, false, 0, 1, 'x'), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
  })).value.map((v) => JSON.parse(JSON.stringify(v)) as unknown); // as JSON.parse gives them: plain objects
  fc.assert(fc.property(json, json, (before, after) => {
    assert.deepEqual(apply(before, after), after);
  }), { numRuns: 500 });
});

test('an array that grew at its start is patched as the pod\'s init containers are: adds at 0, 1, ...', () => {
  fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 5 }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), (own, added) => {
    const before = { list: own };
    const after = { list: [...added, ...own] };
    assert.deepEqual(apply(before, after), after);
    assert.ok(jsonPatch(before, after).every((op) => op.op === 'add'));
  }));
});
