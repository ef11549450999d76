// The Grafana dashboards under deploy/observability/dashboards, and every PromQL query they hold: each
// panel's targets (rows included, collapsed or not) and each variable's query, named the way a reader
// finds them in Grafana.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo-root.js';
import { metricNamesOf, variableMetricNamesOf } from './promql-metric-names.js';

export const DASHBOARDS_DIR = 'deploy/observability/dashboards';

export interface GrafanaPanel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly gridPos?: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: ReadonlyArray<{ readonly expr?: string; readonly refId?: string }>;
  readonly panels?: readonly GrafanaPanel[];
}

export interface GrafanaVariable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
}

export interface GrafanaDashboard {
  readonly title?: string;
  readonly uid?: string;
  readonly panels?: readonly GrafanaPanel[];
  readonly templating?: { readonly list?: readonly GrafanaVariable[] };
}

export interface DashboardFile {
  /** Repo-relative path. */
  readonly file: string;
  readonly dashboard: GrafanaDashboard;
}

/** A query and where it sits: `panel "Requests by status class"`, `variable $cluster`. */
export interface DashboardQuery {
  readonly where: string;
  readonly expr: string;
  readonly metrics: readonly string[];
}

/** Every dashboard file, parsed; throws naming the file that is not JSON. */
export function dashboardFiles(): DashboardFile[] {
  const dir = join(REPO_ROOT, DASHBOARDS_DIR);
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((name) => {
    const file = `${DASHBOARDS_DIR}/${name}`;
    try {
      return { file, dashboard: JSON.parse(readFileSync(join(dir, name), 'utf8')) as GrafanaDashboard };
    } catch (err) {
      throw new Error(`${file} is not JSON: ${(err as Error).message}`);
    }
  });
}

/** Every panel, those inside rows included. */
export function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  const walk = (panels: readonly GrafanaPanel[]): GrafanaPanel[] => panels.flatMap((p) => [p, ...walk(p.panels ?? [])]);
  return walk(dashboard.panels ?? []);
}

export function variableQuery(variable: GrafanaVariable): string | undefined {
  return typeof variable.query === 'string' ? variable.query : variable.query?.query;
}

export function dashboardQueries(dashboard: GrafanaDashboard): DashboardQuery[] {
  const fromPanels = panelsOf(dashboard).flatMap((p) =>
    (p.targets ?? []).filter((t) => t.expr !== undefined).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr!, metrics: metricNamesOf(t.expr!) })));
  const fromVariables = (dashboard.templating?.list ?? []).filter((v) => v.type === 'query').flatMap((v) => {
    const query = variableQuery(v);
    return query === undefined ? [] : [{ where: `variable $${v.name}`, expr: query, metrics: variableMetricNamesOf(query) }];
  });
  return [...fromPanels, ...fromVariables];
}

/** "dashboard: panel "P" queries m, which no scraped page exports", one per metric and place. */
export function unexportedMetrics(files: readonly DashboardFile[], exported: ReadonlySet<string>): string[] {
  return files.flatMap(({ file, dashboard }) =>
    dashboardQueries(dashboard).flatMap((q) => q.metrics.filter((m) => !exported.has(m)).map((m) => `${dashboard.title ?? file}: ${q.where} queries ${m}, which no scraped page exports`)));
}
