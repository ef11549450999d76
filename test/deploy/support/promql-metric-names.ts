// The metric names a PromQL expression reads, without a PromQL parser: strings, Grafana variables,
// label matchers, ranges and label lists (by, without, on, ignoring, group_left, group_right) are cut
// out, and of the identifiers left, those not called as a function and not a keyword are metric names.
// Enough for the queries dashboards hold; a name it misses is a name the check does not hold to account.

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  // Numbers and durations first, so that the `m` of `5m` is not read as a name.
  for (const m of bare.matchAll(/\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (name === undefined || call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/**
 * The metric names a Grafana Prometheus variable query reads: `label_values(selector, label)` and
 * `query_result(expr)` read their selector or expression; `label_names()` and `metrics(regex)` none.
 */
export function variableMetricNamesOf(query: string): string[] {
  const labelValues = /^\s*label_values\(\s*(.*?)\s*(,\s*\w+\s*)?\)\s*$/s.exec(query);
  // With one argument, that argument is a label.
  if (labelValues !== null) return labelValues[2] === undefined ? [] : metricNamesOf(labelValues[1]!);
  const result = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (result !== null) return metricNamesOf(result[1]!);
  return [];
}
