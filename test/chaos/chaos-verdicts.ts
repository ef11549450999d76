// What the chaos run must show, one check per line of the summary: a check fails with the figures
// that broke it. The run exits non-zero when any fails.
import type { ChaosReport } from './chaos-scenario.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function chaosChecks(r: ChaosReport): Check[] {
  const checks: Check[] = [];
  const sum = (pick: (p: ChaosReport['phases'][number]) => number): number => r.phases.reduce((a, p) => a + pick(p), 0);

  const failed = sum((p) => p.failed);
  const byPhase = r.phases.filter((p) => p.failed > 0).map((p) => `${p.name}: ${p.failed} (${[...p.failedByLane].map(([k, n]) => `${k} ${n}`).join(', ')})`);
  checks.push({ name: 'no request failed but those the events make inevitable', ok: failed === 0, detail: failed === 0 ? `${sum((p) => p.ok)} ok, ${sum((p) => p.expected)} expected` : `${plural(failed, 'failure')}: ${byPhase.join('; ')}` });
  const lanesIdle = r.lanes.filter((l) => l.ok === 0).map((l) => l.name);
  checks.push({ name: 'every request finished, every lane served', ok: r.unfinished.length === 0 && lanesIdle.length === 0, detail: [...r.unfinished, ...lanesIdle.map((n) => `${n}: nothing succeeded`)].join('; ') || `${r.lanes.length} lanes` });

  const refused = sum((p) => p.appliesRefused);
  const refusedIn = r.phases.filter((p) => p.appliesRefused > 0).map((p) => `${p.name}: ${p.appliesRefused} (${p.refusalSamples[0] ?? ''})`);
  checks.push({ name: 'every apply accepted (an etcd quorum and a replica always live)', ok: refused === 0 && r.changes.sent > 0, detail: refused === 0 ? `${r.changes.ok} of ${r.changes.sent}` : `${refused} of ${r.changes.sent} refused: ${refusedIn.join('; ')}` });

  const problems = r.events.flatMap((e) => e.problems.map((p) => `${e.title}: ${p}`));
  checks.push({ name: 'every event happened and recovered', ok: problems.length === 0 && r.events.length === r.plan.events.length, detail: problems.join('; ') || `${r.events.length} events` });

  const c = r.convergence;
  if (typeof c === 'string') checks.push({ name: 'every proxy runs the last write', ok: false, detail: c });
  else {
    const behind = c.proxies.filter((p) => p.ms === undefined);
    checks.push({
      name: 'every proxy runs the last write (resources, versions, revision)',
      ok: behind.length === 0,
      detail: behind.length === 0 ? `${c.proxies.length} proxies, ${c.resources} resources, revision >= ${r.changes.lastRevision}` : behind.map((p) => `${p.nodeId}: ${p.differences.slice(0, 3).join('; ')}${p.differences.length > 3 ? ` (+${p.differences.length - 3} more)` : ''}`).join(' | '),
    });
    checks.push({ name: 'the replicas list the same configuration', ok: c.replicaDisagreement.length === 0, detail: c.replicaDisagreement.slice(0, 5).join('; ') || 'equal' });
  }

  const s = r.store;
  if (typeof s === 'string') checks.push({ name: 'no orphan keys in etcd', ok: false, detail: s });
  else checks.push({ name: 'no orphan keys in etcd', ok: s.orphans.length === 0, detail: s.orphans.length === 0 ? `${s.keys} keys, each owned` : `${plural(s.orphans.length, 'orphan')}: ${s.orphans.slice(0, 5).join('; ')}` });

  checks.push({ name: 'no proxy or replica exited', ok: r.processExits.length === 0, detail: r.processExits.join('; ') || 'none' });
  return checks;
}
