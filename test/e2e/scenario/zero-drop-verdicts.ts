// What the zero-drop scenario must show, as a list of violations: empty when
// every count holds. The test asserts it is empty; the benchmark prints it under its table.
import type { ScenarioReport, UpstreamCounts } from './zero-drop-run.js';

export const MIN_UPSTREAM_REUSE = 0.99;

/** 1 − new connections / requests, from the upstreams' view, over `counts` (default: from the first change on). */
export function upstreamReuse(report: ScenarioReport, counts: readonly UpstreamCounts[] = report.upstreamsDuringChanges): { connections: number; requests: number; reuse: number } {
  const connections = counts.reduce((a, u) => a + u.connections, 0);
  const requests = counts.reduce((a, u) => a + u.requests, 0);
  return { connections, requests, reuse: requests === 0 ? 0 : 1 - connections / requests };
}

export function zeroDropViolations(report: ScenarioReport): string[] {
  const out: string[] = [];
  const sum = (pick: (l: ScenarioReport['lanes'][number]) => number, lanes = report.lanes): number => lanes.reduce((a, l) => a + pick(l), 0);
  const failed = sum((l) => l.failed);
  if (failed > 0) out.push(`${failed} failed requests/sessions: ${report.lanes.filter((l) => l.failed > 0).map((l) => `${l.name}: ${l.failed} (${l.samples.join(' | ')})`).join('; ')}`);
  const resets = sum((l) => l.resets, report.lanes.filter((l) => l.listener === 'unchanged'));
  if (resets > 0) out.push(`${resets} resets on unchanged listeners`);
  for (const l of report.lanes) {
    if (l.finished !== l.started) out.push(`${l.name}: ${l.started} started but ${l.finished} finished`);
    if (l.ok === 0) out.push(`${l.name}: nothing succeeded (the lane never ran)`);
  }
  const aborted = report.upstreams.reduce((a, u) => a + u.aborted, 0);
  if (aborted > 0) out.push(`${aborted} requests cut while the upstream was answering them`);
  if (report.websocketUpstream.abnormal > 0) out.push(`${report.websocketUpstream.abnormal} WebSocket sessions ended without a close handshake at the upstream`);
  const { reuse } = upstreamReuse(report);
  // Asserted from the first change on: the pools the warm-up filled are not what changes could break.
  if (!(reuse >= MIN_UPSTREAM_REUSE)) out.push(`upstream connection reuse while changes ran ${(reuse * 100).toFixed(2)}% < ${MIN_UPSTREAM_REUSE * 100}%`);
  if (typeof report.rollout === 'string') out.push(`rollout: ${report.rollout}`);
  else if (report.rollout.at !== 3 || report.rollout.proxies !== 3 || report.rollout.rejecting !== 0) out.push(`rollout: ${JSON.stringify(report.rollout)}`);
  if (report.changes.failed > 0) out.push(`${report.changes.failed} changes refused: ${report.changes.failures.join(' | ')}`);
  if (typeof report.restart === 'string') out.push(`proxy restart: ${report.restart}`);
  for (const c of report.certificates) if (c.serial !== report.rotatedSerial) out.push(`${c.nodeId} presents certificate ${c.serial}, not the rotated ${report.rotatedSerial}`);
  for (const p of report.ports) if (p.before !== p.after) out.push(`${p.nodeId}: listener ports ${p.before} became ${p.after}`);
  report.extraPorts.forEach((port, i) => {
    if (port === 0) out.push(`proxy ${i + 1} never opened the added listener`);
  });
  const doomed = report.lanes.filter((l) => l.name.includes('doomed'));
  if (sum((l) => l.routedAway, doomed) === 0) out.push('the removed route never answered no-route: its removal did not reach the proxies');
  out.push(...report.proxyExits);
  return out;
}
