// The series names a Prometheus text page exports: every metric its `# TYPE` lines declare (a metric
// is exported before its first sample: a counter with labels has no line until it counts), with the
// names a histogram or summary is queried by, and every name a sample line carries.

const SERIES_OF: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

export function exportedMetricNames(page: string): Set<string> {
  const names = sampledMetricNames(page);
  for (const [, name, kind] of page.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
    names.add(name!);
    for (const suffix of SERIES_OF[kind!] ?? []) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The names that have at least one sample line on the page. */
export function sampledMetricNames(page: string): Set<string> {
  return new Set([...page.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)].map((m) => m[1]!));
}
