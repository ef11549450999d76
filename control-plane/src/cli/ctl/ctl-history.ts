// `sluice ctl history [KIND [NAME]]` (GET /v1/history): the recorded changes, newest first, with who
// made them, when and what they changed; `sluice ctl rollback --to R` (POST /v1/rollback): restore the
// configuration of revision R as one new change.
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import type { ApiClient } from './api-client.js';
import { tableLines } from './text-table.js';

export const HISTORY_USAGE = `  history [KIND [NAME]] [--limit N] [-o table|json]
                                 the recorded changes, newest first: revision, time, who, what
                                 (-o json: each resource before and after, private keys redacted)
  rollback --to R [--dry-run]    restore the configuration of revision R as one new change;
                                 --to R: any revision from the oldest \`ctl history\` names on`;

/** Changes named per row in the table; the rest are counted. */
const SUMMARY_CHANGES = 3;

export interface HistoryFlags {
  readonly output?: string;
  readonly limit?: string;
  readonly to?: string;
  readonly 'dry-run'?: boolean;
}

interface HistoryPage {
  revision: number;
  oldestRevision: number;
  entries: Array<{ revision: number; time: string; actor: string; operation: string; toRevision?: number; changes: Array<{ kind: string; name: string; action: string }> }>;
  continue?: string;
}

export async function runCtlHistory(client: ApiClient, args: readonly string[], flags: HistoryFlags): Promise<string> {
  const [kind, name, ...rest] = args;
  if (rest.length > 0) throw new UsageError('usage: sluice ctl history [KIND [NAME]] [--limit N] [-o table|json]');
  if (flags.output !== undefined && flags.output !== 'table' && flags.output !== 'json') throw new UsageError(`-o of \`ctl history\` must be table or json, got ${JSON.stringify(flags.output)}`);
  const query = new URLSearchParams();
  if (kind !== undefined) query.set('kind', kind);
  if (name !== undefined) query.set('name', name);
  if (flags.limit !== undefined) query.set('limit', positive('--limit', flags.limit));
  const page = (await client.call('GET', `/v1/history${query.size === 0 ? '' : `?${query}`}`)) as HistoryPage;
  if (flags.output === 'json') return JSON.stringify(page, null, 2);
  const rows = [['REVISION', 'TIME', 'ACTOR', 'OPERATION', 'CHANGES'], ...page.entries.map((e) => [
    String(e.revision), e.time, e.actor, e.toRevision === undefined ? e.operation : `${e.operation} to ${e.toRevision}`, summary(e.changes),
  ])];
  const lines = tableLines(rows);
  lines.push(page.continue === undefined
    ? `oldest revision rollback can restore: ${page.oldestRevision}`
    : `more entries before revision ${page.continue} (--limit); oldest revision rollback can restore: ${page.oldestRevision}`);
  return lines.join('\n');
}

export async function runCtlRollback(client: ApiClient, args: readonly string[], flags: HistoryFlags): Promise<string> {
  if (args.length > 0 || flags.to === undefined) throw new UsageError('usage: sluice ctl rollback --to R [--dry-run]');
  const toRevision = Number(positive('--to', flags.to));
  const dryRun = flags['dry-run'] === true;
  const answer = await client.call('POST', '/v1/rollback', { body: JSON.stringify({ toRevision, ...(dryRun ? { dryRun } : {}) }), contentType: 'application/json' });
  const changes = answer.changes as Array<{ kind: string; name: string; action: string }>;
  const lines = changes.map((c) => `${c.kind.toLowerCase()}/${c.name} ${dryRun ? `would be ${c.action}` : c.action}`);
  if (changes.length === 0) lines.push(`the configuration is already that of revision ${toRevision}`);
  lines.push(dryRun ? `dry run: nothing written (revision ${answer.revision})` : `revision ${answer.revision}`);
  return lines.join('\n');
}

function summary(changes: HistoryPage['entries'][number]['changes']): string {
  if (changes.length === 0) return '(nothing)';
  const named = changes.slice(0, SUMMARY_CHANGES).map((c) => `${c.kind.toLowerCase()}/${c.name} ${c.action}`);
  const more = changes.length - named.length;
  return named.join(', ') + (more > 0 ? `, +${more} more` : '');
}

function positive(flag: string, raw: string): string {
  if (!/^[1-9]\d{0,14}$/.test(raw)) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(raw)}`);
  return raw;
}
