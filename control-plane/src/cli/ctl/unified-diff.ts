// A line diff in diff -u's form (`@@ -a,b +c,d @@` hunks with three lines of context), for `ctl diff`.
// Resources are a few dozen lines, so a longest-common-subsequence table is cheap; past a size limit
// the whole text is shown as replaced rather than spending quadratic time.

const CONTEXT = 3;
/** Cells of the LCS table above which the diff gives up on alignment (about 2,000 × 2,000 lines). */
const MAX_CELLS = 4_000_000;

type Line = { readonly op: ' ' | '-' | '+'; readonly text: string };

/** The hunks turning `before` into `after` (without the ---/+++ header); '' when they are equal. */
export function unifiedHunks(before: string, after: string): string {
  const a = splitLines(before);
  const b = splitLines(after);
  const lines = align(a, b);
  if (lines.every((l) => l.op === ' ')) return '';
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.op === ' ') {
      i++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change that lies
    // within 2 × CONTEXT of the previous one.
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    for (let j = i; j < lines.length; j++) {
      if (lines[j]!.op !== ' ') end = j;
      else if (j - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(lines.length, end + CONTEXT + 1);
    const hunk = lines.slice(start, stop);
    const aStart = lines.slice(0, start).filter((l) => l.op !== '+').length;
    const bStart = lines.slice(0, start).filter((l) => l.op !== '-').length;
    const aCount = hunk.filter((l) => l.op !== '+').length;
    const bCount = hunk.filter((l) => l.op !== '-').length;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const l of hunk) out.push(`${l.op}${l.text}`);
    i = stop;
  }
  return out.join('\n');
}

/** diff -u's numbering: 1-based start and a count; an empty side starts at the line before. */
function range(start: number, count: number): string {
  return `${count === 0 ? start : start + 1},${count}`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

function align(a: readonly string[], b: readonly string[]): Line[] {
  if (a.length * b.length > MAX_CELLS) return [...a.map((text): Line => ({ op: '-', text })), ...b.map((text): Line => ({ op: '+', text }))];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const lines: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      lines.push({ op: '+', text: b[j++]! });
    } else {
      lines.push({ op: '-', text: a[i++]! });
    }
  }
  // diff -u shows a replaced run as its removed lines, then its added ones.
  return reorderRuns(lines);
}

function reorderRuns(lines: Line[]): Line[] {
  const out: Line[] = [];
  let run: Line[] = [];
  const flush = (): void => {
    out.push(...run.filter((l) => l.op === '-'), ...run.filter((l) => l.op === '+'));
    run = [];
  };
  for (const l of lines) {
    if (l.op === ' ') {
      flush();
      out.push(l);
    } else run.push(l);
  }
  flush();
  return out;
}
