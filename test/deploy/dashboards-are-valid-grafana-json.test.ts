// The Grafana dashboards in deploy/observability/dashboards import as they are: each is JSON with a
// title, a uid Grafana accepts and unique across them, panels that each have an id, a title, a type and
// a place on the 24-column grid, every query on the data-source variable, and no query using a variable
// the dashboard does not define.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dashboardFiles, dashboardQueries, DASHBOARDS_DIR, panelsOf } from './support/grafana-dashboards.js';

const EXPECTED = ['sluice-control-plane.json', 'sluice-mesh-overview.json', 'sluice-proxy.json', 'sluice-service.json'];
/** Grafana's own variables: $__rate_interval, $__interval, $__range... */
const BUILT_IN = /^__/;

test(`${DASHBOARDS_DIR} holds the mesh overview, service, proxy and control-plane dashboards`, () => {
  assert.deepEqual(dashboardFiles().map((f) => f.file.slice(DASHBOARDS_DIR.length + 1)), EXPECTED);
});

test('each dashboard has a title, a unique uid of at most 40 characters, and panels', () => {
  const uids = new Map<string, string>();
  for (const { file, dashboard } of dashboardFiles()) {
    assert.ok(typeof dashboard.title === 'string' && dashboard.title !== '', `${file}: no title`);
    assert.ok(typeof dashboard.uid === 'string' && /^[\w-]{1,40}$/.test(dashboard.uid), `${file}: uid ${JSON.stringify(dashboard.uid)}`);
    assert.equal(uids.get(dashboard.uid), undefined, `${file}: uid ${dashboard.uid} is also ${uids.get(dashboard.uid)}'s`);
    uids.set(dashboard.uid, file);
    assert.ok(Array.isArray(dashboard.panels) && dashboard.panels.length > 0, `${file}: no panels`);
  }
});

test('every panel has an id, a title, a type and a place on the grid; every query is on $datasource', () => {
  const problems: string[] = [];
  for (const { file, dashboard } of dashboardFiles()) {
    const ids = new Set<number>();
    const datasource = dashboard.templating?.list?.find((v) => v.name === 'datasource');
    if (datasource?.type !== 'datasource' || datasource.query !== 'prometheus') problems.push(`${file}: no $datasource variable of Prometheus data sources`);
    for (const p of panelsOf(dashboard)) {
      const name = `${file}: panel ${JSON.stringify(p.title)}`;
      if (typeof p.id !== 'number' || ids.has(p.id)) problems.push(`${name}: id ${p.id} missing or taken`);
      else ids.add(p.id);
      if (typeof p.title !== 'string' || p.title === '' || typeof p.type !== 'string') problems.push(`${name}: no title or type`);
      const g = p.gridPos;
      if (g === undefined || g.w < 1 || g.h < 1 || g.x < 0 || g.y < 0 || g.x + g.w > 24) problems.push(`${name}: gridPos ${JSON.stringify(g)} is off the 24-column grid`);
      if (p.type === 'row') continue;
      if (p.datasource?.uid !== '${datasource}') problems.push(`${name}: data source ${JSON.stringify(p.datasource)}, not \${datasource}`);
      const targets = p.targets ?? [];
      if (targets.length === 0 || targets.some((t) => typeof t.expr !== 'string' || t.expr.trim() === '')) problems.push(`${name}: a panel without a query, or a target without expr`);
      if (new Set(targets.map((t) => t.refId)).size !== targets.length) problems.push(`${name}: refIds repeat`);
    }
  }
  assert.deepEqual(problems, []);
});

test('queries use only the variables their dashboard defines', () => {
  const problems: string[] = [];
  for (const { file, dashboard } of dashboardFiles()) {
    const defined = new Set((dashboard.templating?.list ?? []).map((v) => v.name));
    for (const q of dashboardQueries(dashboard)) {
      for (const [, braced, bare] of q.expr.matchAll(/\$\{(\w+)[^}]*\}|\$(\w+)/g)) {
        const name = (braced ?? bare)!;
        if (!BUILT_IN.test(name) && !defined.has(name)) problems.push(`${file}: ${q.where} uses $${name}, which the dashboard does not define`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
