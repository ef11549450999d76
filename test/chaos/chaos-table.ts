// The chaos run's summary as Markdown, ready to paste into the README: counts and apply latency by
// phase, what each event did and how long recovery took, the final configuration of every proxy, the
// keys in etcd by owner, and the checks.
import { percentile } from './chaos-ledger.js';
import type { ChaosReport } from './chaos-scenario.js';
import { chaosChecks } from './chaos-verdicts.js';

const cell = (n: number | undefined): string => (n === undefined ? '-' : String(Math.round(n)));

export function formatChaosReport(r: ChaosReport): string {
  const lines: string[] = [];
  const secs = (ms: number): string => `${(ms / 1000).toFixed(0)} s`;
  const start = r.phases[0]!.startedAt;
  lines.push(`Chaos run: ${secs(r.options.durationMs)}, ${r.options.proxies} proxies x 2 workers, 2 replicas, 3 etcd members, load scale ${r.options.loadScale}, ${r.options.changesPerSecond} changes/s (wall ${secs(r.wallMs)})`);
  lines.push('');
  lines.push('| phase (event in progress) | from | requests | ok | failed | expected | applies | accepted | refused | apply p50 ms | p99 ms | max ms |');
  lines.push('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  const total = { requests: 0, ok: 0, failed: 0, expected: 0, applies: 0, appliesOk: 0, appliesRefused: 0, ms: [] as number[] };
  for (const p of r.phases) {
    lines.push(`| ${p.name} | ${secs(p.startedAt - start)} | ${p.requests} | ${p.ok} | ${p.failed} | ${p.expected} | ${p.applies} | ${p.appliesOk} | ${p.appliesRefused} | ${cell(percentile(p.applyMs, 0.5))} | ${cell(percentile(p.applyMs, 0.99))} | ${cell(percentile(p.applyMs, 1))} |`);
    total.requests += p.requests;
    total.ok += p.ok;
    total.failed += p.failed;
    total.expected += p.expected;
    total.applies += p.applies;
    total.appliesOk += p.appliesOk;
    total.appliesRefused += p.appliesRefused;
    total.ms.push(...p.applyMs);
  }
  lines.push(`| **total** | | **${total.requests}** | **${total.ok}** | **${total.failed}** | **${total.expected}** | **${total.applies}** | **${total.appliesOk}** | **${total.appliesRefused}** | **${cell(percentile(total.ms, 0.5))}** | **${cell(percentile(total.ms, 0.99))}** | **${cell(percentile(total.ms, 1))}** |`);
  const excused = r.phases.flatMap((p) => [...p.expectedReasons].map(([why, n]) => `- ${p.name}: ${n} ${why}`));
  lines.push('');
  lines.push(excused.length === 0 ? 'Expected failures: none.' : ['Expected failures (inevitable, counted apart):', ...excused].join('\n'));

  lines.push('');
  lines.push('| event | what happened |');
  lines.push('| --- | --- |');
  for (const e of r.events) lines.push(`| ${e.title} | ${[...e.figures, ...e.problems.map((p) => `**${p}**`)].join('; ') || '-'} |`);

  lines.push('');
  lines.push('| load (summed over proxies) | requests | ok | failed | expected | resets | retried |');
  lines.push('| --- | --: | --: | --: | --: | --: | --: |');
  const byKind = new Map<string, number[]>();
  for (const l of r.lanes) {
    const kind = l.name.replace(/ p\d+$/, '');
    const row = byKind.get(kind) ?? [0, 0, 0, 0, 0, 0];
    [l.started, l.ok, l.failed, l.expected, l.resets, l.retries].forEach((v, i) => (row[i] += v));
    byKind.set(kind, row);
  }
  for (const [kind, row] of byKind) lines.push(`| ${kind} | ${row.join(' | ')} |`);

  const c = r.convergence;
  lines.push('');
  if (typeof c === 'string') lines.push(`Final configuration: could not be compared: ${c}`);
  else {
    lines.push(`| proxy | runs the last write (API revision ${c.apiRevision}, ${c.resources} resources) | revision in service |`);
    lines.push('| --- | --- | --: |');
    for (const p of c.proxies) lines.push(`| ${p.nodeId} | ${p.ms === undefined ? `**no**: ${p.differences.slice(0, 2).join('; ')}` : `yes, ${p.ms} ms after the load stopped`} | ${p.revision ?? '-'} |`);
  }
  const s = r.store;
  lines.push('');
  if (typeof s === 'string') lines.push(`Keys in etcd: could not be listed: ${s}`);
  else {
    lines.push(`| keys in etcd (revision ${s.revision}) | count |`);
    lines.push('| --- | --: |');
    for (const [owner, n] of s.owners) lines.push(`| ${owner} | ${n} |`);
    lines.push(`| **orphans** | **${s.orphans.length}** |`);
  }

  lines.push('');
  lines.push('| process log | warnings | errors | unserializable | most frequent |');
  lines.push('| --- | --: | --: | --: | --- |');
  for (const l of r.logs) lines.push(`| ${l.name} | ${l.warnings} | ${l.errors} | ${l.unserializable} | ${l.samples.join('; ').replaceAll('|', '/') || '-'} |`);

  lines.push('');
  lines.push('| check | result | detail |');
  lines.push('| --- | --- | --- |');
  for (const ch of chaosChecks(r)) lines.push(`| ${ch.name} | ${ch.ok ? 'pass' : '**FAIL**'} | ${ch.detail.replaceAll('|', '/')} |`);

  const samples = r.phases.filter((p) => p.failureSamples.length > 0 || p.refusalSamples.length > 0);
  if (samples.length > 0) {
    lines.push('', 'Samples:');
    for (const p of samples) for (const x of [...p.failureSamples, ...p.refusalSamples]) lines.push(`- ${p.name}: ${x}`);
  }
  return lines.join('\n');
}
