// The zero-drop scenario's counts as Markdown tables (the benchmark's output, the test's diagnostics).
import type { LaneCounters } from './lane-counters.js';
import { upstreamReuse } from './zero-drop-verdicts.js';
import type { ScenarioReport } from './zero-drop-run.js';

const COLUMNS = ['started', 'ok', 'failed', 'resets', 'routedAway', 'changedListener', 'retries'] as const;

/** Lanes summed over the proxies (a lane's name ends with its proxy's node id). */
function byKind(lanes: readonly LaneCounters[]): Map<string, Record<(typeof COLUMNS)[number], number>> {
  const out = new Map<string, Record<(typeof COLUMNS)[number], number>>();
  for (const l of lanes) {
    const kind = l.name.replace(/ p\d+$/, '');
    const row = out.get(kind) ?? { started: 0, ok: 0, failed: 0, resets: 0, routedAway: 0, changedListener: 0, retries: 0 };
    for (const c of COLUMNS) row[c] += c === 'started' ? l.started : l[c];
    out.set(kind, row);
  }
  return out;
}

export function formatZeroDropReport(report: ScenarioReport): string {
  const lines: string[] = [];
  lines.push(`| load (3 proxies) | started | ok | failed | resets | routed away | changed listener | retries |`);
  lines.push(`| --- | --: | --: | --: | --: | --: | --: | --: |`);
  const total = { started: 0, ok: 0, failed: 0, resets: 0, routedAway: 0, changedListener: 0, retries: 0 };
  for (const [kind, row] of byKind(report.lanes)) {
    lines.push(`| ${kind} | ${COLUMNS.map((c) => row[c]).join(' | ')} |`);
    for (const c of COLUMNS) total[c] += row[c];
  }
  lines.push(`| **total** | ${COLUMNS.map((c) => `**${total[c]}**`).join(' | ')} |`);
  const all = upstreamReuse(report, report.upstreams);
  const during = upstreamReuse(report);
  lines.push('');
  lines.push(`| upstream (HTTP/1.1) | new connections | requests | cut mid-answer | new connections while changes ran | requests while changes ran |`);
  lines.push(`| --- | --: | --: | --: | --: | --: |`);
  report.upstreams.forEach((x, i) => {
    const d = report.upstreamsDuringChanges[i]!;
    lines.push(`| ${x.name} | ${x.connections} | ${x.requests} | ${x.aborted} | ${d.connections} | ${d.requests} |`);
  });
  lines.push(`| **reuse** (1 − new connections / requests) | | **${(all.reuse * 100).toFixed(2)}%** whole run | | | **${(during.reuse * 100).toFixed(2)}%** while changes ran |`);
  lines.push('');
  const c = report.changes;
  lines.push(`changes: ${c.ok} accepted of ${c.sent} in ${(report.durationMs / 1000).toFixed(0)} s (${Object.entries(c.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}); refused ${c.failed}`);
  lines.push(`WebSocket upstream: ${report.websocketUpstream.sessions} sessions, ${report.websocketUpstream.abnormal} without a close handshake`);
  const r = report.restart;
  lines.push(`proxy restart: ${typeof r === 'string' ? r : `${r.how}, workers ${r.oldWorkers.join(',')} -> ${r.newWorkers.join(',')} in ${r.ms} ms`}`);
  const ro = report.rollout;
  lines.push(`rollout (surviving replica): ${typeof ro === 'string' ? ro : `revision ${ro.revision}: ${ro.at} of ${ro.proxies} proxies at it, ${ro.behind} behind, ${ro.rejecting} rejecting`}`);
  lines.push(`certificate after rotation: ${report.certificates.map((x) => `${x.nodeId} ${x.serial === report.rotatedSerial ? 'new' : x.serial}`).join(', ')}`);
  lines.push(`listener ports kept: ${report.ports.map((p) => `${p.nodeId} ${p.before}${p.before === p.after ? '' : ` -> ${p.after}`}`).join(', ')}; added listener ports ${report.extraPorts.join(',')}`);
  const t = report.times;
  const at = (x: number | undefined): string => (x === undefined ? '-' : `${((x - t.start) / 1000).toFixed(1)} s`);
  lines.push(`timeline: listener added ${at(t.listenerAddedAt)}, endpoint removed ${at(t.endpointRemovedAt)}, certificate rotated ${at(t.certRotatedAt)}, replica killed ${at(t.replicaKilledAt)}, route removed ${at(t.routeRemovedAt)}, proxy restarted ${at(t.restartAt)}, endpoint added ${at(t.endpointAddedAt)}, listener removed ${at(t.listenerRemovedAt)}`);
  const samples = report.lanes.filter((l) => l.samples.length > 0).map((l) => `  ${l.name}: ${l.samples.join(' | ')}`);
  if (samples.length > 0) lines.push('failure samples:', ...samples);
  const retries = report.lanes.filter((l) => l.retrySamples.length > 0).map((l) => `  ${l.name}: ${l.retrySamples.join(' | ')}`);
  if (retries.length > 0) lines.push('retried after:', ...retries);
  const cut = report.upstreamCutSamples;
  if (cut.length > 0) lines.push('cut at the upstream:', ...cut.map((c) => `  ${c}`));
  return lines.join('\n');
}
