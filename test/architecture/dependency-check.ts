// Runs dependency-cruiser with the repository's rules (.dependency-cruiser.cjs) over a tree, and the
// one check it cannot do: code that reads files outside the repository.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';

/** The folders whose imports the rules cover. */
export const CHECKED_FOLDERS = ['bin', 'control-plane/src', 'data-plane/src', 'proto/src', 'test'];

export interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

const CRUISER = join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Every rule broken under `root`, judged by the rules file `config`. */
export function cruise(root: string, config = join(REPO_ROOT, '.dependency-cruiser.cjs'), folders = CHECKED_FOLDERS): Violation[] {
  const run = spawnSync(process.execPath, [CRUISER, '--config', config, '--output-type', 'json', ...folders], { cwd: root, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20 });
  let report: { summary?: { violations?: Array<{ from: string; to: string; rule: { name: string } }> } };
  try {
    report = JSON.parse(run.stdout) as typeof report;
  } catch {
    throw new Error(`dependency-cruiser printed no report (exit ${run.status ?? run.signal}): ${run.stderr.slice(0, 2000)}`);
  }
  return (report.summary?.violations ?? []).map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' || entry === 'gen' ? [] : tsFiles(path);
    return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Code that would read outside the repository (a fresh clone has nothing beside it), found in the
 * source text: a path into a sibling `shared/` folder; a `new URL(…, import.meta.url)` that climbs
 * above the repository from where the file runs (dist/<same path>.js); `..` joined onto the root; and
 * in tests, `process.cwd()` (tests resolve their files from `import.meta.url`, so they pass from any
 * directory). Answers "file:line: what".
 */
export function outsideReads(root: string, folders = CHECKED_FOLDERS): string[] {
  const found: string[] = [];
  for (const folder of folders) {
    for (const file of tsFiles(join(root, folder))) {
      const rel = relative(root, file).split(sep).join('/');
      const runsFrom = dirname(join(root, 'dist', rel));
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        const at = `${rel}:${i + 1}`;
        if (/^\s*(\/\/|\*)/.test(line)) return;
        if (/['"`](\.\.\/)+shared(\/|['"`])/.test(line)) found.push(`${at}: a path into a shared folder beside the repository`);
        for (const m of line.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) {
          const target = resolve(runsFrom, m[1]!);
          if (relative(root, target).startsWith('..')) found.push(`${at}: new URL('${m[1]}', import.meta.url) leaves the repository`);
        }
        if (/\b(REPO_ROOT|root|process\.cwd\(\))\s*,\s*['"]\.\.['"]/.test(line)) found.push(`${at}: '..' joined onto the repository root`);
        if (rel.startsWith('test/') && /process\.cwd\(\)/.test(line)) found.push(`${at}: a test resolving a path from the working directory (use import.meta.url)`);
      });
    }
  }
  return found;
}
