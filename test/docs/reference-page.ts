// docs/reference.md read as data: its sections (by heading) and the first cell of every table row, so
// tests can compare the page's tables with what the code has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';

export const REFERENCE_PATH = 'docs/reference.md';

export interface Section {
  /** The heading's text, e.g. "`sluice proxy`" or "Proxy metrics". */
  readonly heading: string;
  /** The heading's level (2 for ##, 3 for ###). */
  readonly level: number;
  readonly text: string;
  /** The first cell of every table row, header and separator rows left out. */
  readonly firstCells: readonly string[];
}

export function readReference(text = readFileSync(join(REPO_ROOT, REFERENCE_PATH), 'utf8')): Section[] {
  const sections: Section[] = [];
  let current: { heading: string; level: number; lines: string[] } = { heading: '', level: 1, lines: [] };
  const flush = (): void => {
    // A table's header row is the one right above its separator row (| --- |).
    const separator = (line: string | undefined): boolean => line !== undefined && /^\|\s*:?-{3}/.test(line);
    const firstCells = current.lines
      .filter((line, i, lines) => line.startsWith('|') && !separator(line) && !separator(lines[i + 1]))
      .map((row) => row.split('|')[1]!.trim());
    sections.push({ heading: current.heading, level: current.level, text: current.lines.join('\n'), firstCells });
  };
  let inFence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading !== null) {
      flush();
      current = { heading: heading[2]!.trim(), level: heading[1]!.length, lines: [] };
    } else {
      current.lines.push(line);
    }
  }
  flush();
  return sections;
}

/** The backticked tokens of a cell: "`--workers N`, `x`" → ["--workers N", "x"]. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

/** The sections under a level-2 heading (itself included), e.g. every section of "Metrics". */
export function sectionsUnder(sections: readonly Section[], level2Heading: string): Section[] {
  const start = sections.findIndex((s) => s.level === 2 && s.heading === level2Heading);
  if (start < 0) return [];
  const end = sections.findIndex((s, i) => i > start && s.level <= 2);
  return sections.slice(start, end < 0 ? undefined : end);
}
