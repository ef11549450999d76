// docs/reference.md is the reference users read: its tables must list every error code, metric,
// command-line flag and resource field the code has, and nothing the code no longer has (after
// fastify's rule for its error codes). The flags come from the built `sluice COMMAND --help`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DescMessage } from '@bufbuild/protobuf';
import { ErrorCode } from '../../control-plane/src/errors.js';
import { errorCodeTable, ProxyErrorCode } from '../../data-plane/src/errors.js';
import { NackCode } from '../../data-plane/src/discovery/nack-codes.js';
import { KIND_INFO } from '../../proto/src/model/kinds.js';
import { REPO_ROOT } from '../support/repo-root.js';
import { codeSpans, readReference, sectionsUnder, type Section } from './reference-page.js';
import { KIND_SCHEMAS } from '../../proto/src/model/kind-schemas.js';

const sections = readReference();

function section(heading: string, under: string): Section {
  const found = sectionsUnder(sections, under).find((s) => s.heading === heading);
  assert.ok(found !== undefined, `docs/reference.md has no section "${heading}" under "${under}"`);
  return found;
}

/** The first code span of every row whose first span matches `pattern`, e.g. every `SLUICE_*` row. */
function listed(rows: readonly string[], pattern: RegExp): string[] {
  return rows.map((cell) => codeSpans(cell)[0] ?? '').filter((span) => pattern.test(span));
}

function compare(what: string, inCode: Iterable<string>, onPage: Iterable<string>): void {
  const code = new Set(inCode);
  const page = new Set(onPage);
  assert.deepEqual({ missingFromReference: [...code].filter((x) => !page.has(x)), notInTheCode: [...page].filter((x) => !code.has(x)) },
    { missingFromReference: [], notInTheCode: [] }, `${what}: docs/reference.md and the code differ`);
}

test('the control-plane error table lists every ErrorCode and no other', () => {
  compare('control-plane error codes', Object.values(ErrorCode), listed(section('Control-plane API', 'Error codes').firstCells, /^SLUICE_/));
});

test('the proxy error table lists every ProxyErrorCode with its status and x-sluice-error', () => {
  const rows = section('Proxy', 'Error codes').firstCells;
  compare('proxy error codes', Object.values(ProxyErrorCode), listed(rows, /^SLUICE_PROXY_/));
  const text = section('Proxy', 'Error codes').text;
  for (const { code, status, cause } of errorCodeTable()) {
    const row = text.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row !== undefined, `no row for ${code}`);
    const [, , statusCell, , , causeCell] = row.split('|').map((c) => c.trim());
    assert.ok(statusCell!.includes(String(status)), `${code}: the status cell "${statusCell}" does not say ${status}`);
    if (!statusCell!.includes('none sent')) assert.equal(causeCell, `\`${cause}\``, `${code}: x-sluice-error`);
  }
});

test('the discovery NACK table lists every NackCode and no other', () => {
  compare('NACK codes', Object.values(NackCode), listed(section('Discovery NACKs', 'Error codes').firstCells, /^SLUICE_/));
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the metric tables list every metric either plane registers and no other', () => {
  const names = new Set<string>();
  for (const dir of ['control-plane/src', 'data-plane/src', 'proto/src', 'bin']) {
    for (const file of sources(join(REPO_ROOT, dir))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['`](sluice_[a-z0-9_]+)['`]/g)) names.add(m[1]!);
    }
  }
  assert.ok(names.size >= 30, `found only ${names.size} metric names in the sources: the scan is broken`);
  const onPage = sectionsUnder(sections, 'Metrics').flatMap((s) => listed(s.firstCells, /^sluice_/));
  compare('metrics', names, onPage);
});

/** `sluice ARGS --help` from the build: its text, which must exit 0. */
function help(args: string[]): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const run = spawnSync(process.execPath, [pkg.bin['sluice']!, ...args, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
  assert.equal(run.status, 0, `sluice ${args.join(' ')} --help exited ${run.status ?? run.signal}: ${run.stderr}`);
  return `${run.stdout}${run.stderr}`;
}

/** The commands `sluice --help` names, plus the two-word ones it quotes (`sluice proxy reload`). */
function commands(): string[] {
  const usage = help([]);
  const single = [...usage.matchAll(/^ {2}([a-z][a-z-]+) {2,}/gm)].map((m) => m[1]!);
  const double = [...usage.matchAll(/`sluice ([a-z-]+ [a-z-]+)`/g)].map((m) => m[1]!);
  assert.ok(single.length >= 4, `sluice --help named only ${single.join(', ')}: the parse is broken`);
  return [...single, ...double];
}

/** Flags in first cells: `--workers N` → --workers; `apply -f FILE` → -f. */
function flagsIn(cells: readonly string[]): Set<string> {
  return new Set(cells.flatMap(codeSpans).flatMap((span) => [...span.matchAll(/(?:^|\s)(--?[a-z][a-z0-9-]*)/g)].map((m) => m[1]!)));
}

test('each sluice command has a flag table listing every flag its --help prints and no other', () => {
  const flagSections = sectionsUnder(sections, 'Command-line flags').filter((s) => s.level === 3);
  const documented = flagSections.map((s) => /^`sluice ([a-z -]+)`$/.exec(s.heading)?.[1]).filter((c) => c !== undefined);
  compare('commands with a flag table', commands(), documented);
  for (const command of commands()) {
    const text = help(command.split(' '));
    // A flag of this command starts an option line or sits in the usage's brackets; prose may name
    // another command's flags ("a proxy started with --workers 2").
    const inHelp = new Set([...text.matchAll(/(?:^\s*|\[|\|\s)(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!).filter((f) => f !== '--help'));
    assert.ok(inHelp.size > 0, `sluice ${command} --help: no flag found, the parse is broken`);
    const onPage = flagsIn(section(`\`sluice ${command}\``, 'Command-line flags').firstCells);
    const longOnPage = [...onPage].filter((f) => f.startsWith('--'));
    compare(`flags of sluice ${command}`, inHelp, longOnPage);
    for (const short of [...onPage].filter((f) => !f.startsWith('--'))) {
      assert.match(text, new RegExp(`(^|[\\s\\[])${short}\\b`), `sluice ${command} --help has no ${short}`);
    }
  }
});

/** Every field's JSON name reachable from a resource message (google.protobuf types not entered). */
function jsonNames(message: DescMessage, into = new Set<string>(), seen = new Set<string>()): Set<string> {
  if (seen.has(message.typeName) || message.typeName.startsWith('google.protobuf.')) return into;
  seen.add(message.typeName);
  for (const field of message.fields) {
    into.add(field.jsonName);
    const nested = field.fieldKind === 'message' ? field.message : field.fieldKind === 'list' && field.listKind === 'message' ? field.message
      : field.fieldKind === 'map' && field.mapKind === 'message' ? field.message : undefined;
    if (nested !== undefined) jsonNames(nested, into, seen);
  }
  return into;
}

test('the resource tables name every field of every kind, and only fields that exist', () => {
  const resources = sectionsUnder(sections, 'Resources');
  compare('resource kinds', Object.keys(KIND_INFO), resources.filter((s) => s.level === 3 && s.heading !== 'Bootstrap').map((s) => s.heading));
  const all = new Set<string>();
  const spans = resources.flatMap((s) => s.firstCells.flatMap(codeSpans));
  const components = new Set(spans.flatMap((span) => span.split('.').map((c) => c.replace(/\[\]$/, ''))));
  for (const info of Object.values(KIND_INFO)) {
    const names = jsonNames(KIND_SCHEMAS[info.kind]);
    names.forEach((n) => all.add(n));
    names.delete('name'); // every kind's name: the page's introduction
    const missing = [...names].filter((n) => !components.has(n));
    assert.deepEqual(missing, [], `${info.kind}: fields missing from docs/reference.md`);
  }
  const unknown = [...components].filter((c) => !all.has(c));
  assert.deepEqual(unknown, [], 'docs/reference.md names resource fields the schemas do not have');
});
