// ctl's tables: columns padded to their widest cell, two spaces apart, no trailing blanks.
export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  return tableLines(rows).join('\n');
}

export function tableLines(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}
