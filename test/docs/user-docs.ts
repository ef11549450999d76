// The user documentation as files: README.md, CHANGELOG.md and every page under docs/, with their text.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';

export interface Doc {
  /** Repo-relative path, e.g. docs/limits.md. */
  readonly path: string;
  readonly text: string;
}

function markdownUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? markdownUnder(path) : entry.endsWith('.md') ? [path] : [];
  });
}

export function userDocs(): Doc[] {
  const files = [join(REPO_ROOT, 'README.md'), join(REPO_ROOT, 'CHANGELOG.md'), ...markdownUnder(join(REPO_ROOT, 'docs'))];
  return files.map((file) => ({ path: relative(REPO_ROOT, file), text: readFileSync(file, 'utf8') }));
}

/** 1-based line numbers and lines of `text` that match `pattern`. */
export function matchingLines(text: string, pattern: RegExp): string[] {
  return text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`${i + 1}: ${line.trim()}`] : []));
}
