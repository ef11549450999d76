// `sluice ctl apply -f`, `ctl diff -f` and `ctl delete -f`: the files' resources in one transaction
// (POST /v1/apply, POST /v1/delete), or what that transaction would change (?dryRun=true) as a diff.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { CtlError, type ApiClient } from './api-client.js';
import { CtlExitStatus } from './ctl-exit-status.js';
import { unifiedHunks } from './unified-diff.js';

export const APPLY_USAGE = `  apply -f FILE|- [-f FILE...] [--prune --applyset NAME] [--dry-run]
                                 create or update every resource in the files (YAML or JSON, many
                                 documents), all or nothing; with --prune --applyset NAME also delete
                                 what was last applied under NAME and the files no longer hold;
                                 --dry-run says what would change and changes nothing
  diff -f FILE|- [-f FILE...] [--prune --applyset NAME]
                                 what apply would change, as a unified diff; exit 0: no differences,
                                 1: differences, 2: usage error, 3: the API refused or is unreachable
  delete -f FILE|- [-f FILE...] [--dry-run]
                                 delete every resource the files name (kind and name), all or
                                 nothing; one already absent is reported "not found", not an error`;

export interface FileFlags {
  readonly files: readonly string[];
  readonly applySet?: string;
  readonly dryRun: boolean;
}

interface Change {
  kind: string;
  name: string;
  action: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/** The flags of apply, diff and delete -f, checked: -f is required, --prune and --applyset go together. */
export function fileFlags(command: string, args: readonly string[], values: { filename?: string[]; prune?: boolean; applyset?: string; 'dry-run'?: boolean }): FileFlags {
  if (args.length > 0) throw new UsageError(`ctl ${command} takes no arguments besides -f, got ${args.join(' ')}`);
  const files = values.filename ?? [];
  if (files.length === 0) throw new UsageError(`ctl ${command} needs -f FILE (or -f - for stdin)`);
  const setFlags = command !== 'delete';
  if (!setFlags && (values.prune !== undefined || values.applyset !== undefined)) throw new UsageError('ctl delete -f takes no --prune or --applyset: it deletes what the files name');
  if (command === 'diff' && values['dry-run'] !== undefined) throw new UsageError('ctl diff changes nothing already: it takes no --dry-run');
  // As kubectl: pruning without a set would delete everything the files do not hold.
  if (values.prune === true && values.applyset === undefined) throw new UsageError(`--prune needs --applyset NAME: only resources applied under that name are ever pruned`);
  if (values.applyset !== undefined && values.prune !== true) throw new UsageError(`--applyset needs --prune (an apply set is there to prune what the files dropped)`);
  return { files, dryRun: values['dry-run'] === true, ...(values.applyset === undefined ? {} : { applySet: values.applyset }) };
}

export async function runCtlApply(client: ApiClient, flags: FileFlags, stdin: () => string): Promise<string> {
  const answer = await client.call('POST', applyPath(flags, flags.dryRun), filesBody(flags.files, stdin));
  return changeLines(answer.changes as Change[], answer.revision as number, flags.dryRun);
}

export async function runCtlDeleteFiles(client: ApiClient, flags: FileFlags, stdin: () => string): Promise<string> {
  const answer = await client.call('POST', `/v1/delete${flags.dryRun ? '?dryRun=true' : ''}`, filesBody(flags.files, stdin));
  return changeLines(answer.changes as Change[], answer.revision as number, flags.dryRun);
}

/**
 * The diff of what an apply would change; resolves '' when nothing would, throws CtlExitStatus(diff, 1)
 * when something would, and CtlError with exit status 3 when the API refuses (as kubectl diff: > 1).
 */
export async function runCtlDiff(client: ApiClient, flags: FileFlags, stdin: () => string): Promise<string> {
  let answer;
  try {
    answer = await client.call('POST', applyPath(flags, true), filesBody(flags.files, stdin));
  } catch (err) {
    if (err instanceof CtlError) throw new CtlError(err.message, err.details, 3);
    throw err;
  }
  const diffs = (answer.changes as Change[]).flatMap(diffOf);
  if (diffs.length === 0) return '';
  throw new CtlExitStatus(diffs.join('\n'), 1);
}

function applyPath(flags: FileFlags, dryRun: boolean): string {
  const query = new URLSearchParams();
  if (dryRun) query.set('dryRun', 'true');
  if (flags.applySet !== undefined) {
    query.set('applyset', flags.applySet);
    query.set('prune', 'true');
  }
  const q = query.toString();
  return `/v1/apply${q === '' ? '' : `?${q}`}`;
}

function changeLines(changes: readonly Change[], revision: number, dryRun: boolean): string {
  const suffix = dryRun ? ' (dry run)' : '';
  const lines = changes.map((c) => `${c.kind.toLowerCase()}/${c.name} ${c.action === 'notFound' ? 'not found' : c.action}${suffix}`);
  lines.push(dryRun ? `revision ${revision} (dry run: nothing was changed)` : `revision ${revision}`);
  return lines.join('\n');
}

/** One resource's diff: created from /dev/null, deleted or pruned to /dev/null, updated in place. */
function diffOf(c: Change): string[] {
  if (c.action === 'unchanged' || c.action === 'notFound') return [];
  const id = `${c.kind.toLowerCase()}/${c.name}`;
  const before = c.before === undefined ? '' : stringify(c.before, { lineWidth: 0 });
  const after = c.after === undefined ? '' : stringify(c.after, { lineWidth: 0 });
  const header = [c.before === undefined ? '--- /dev/null' : `--- ${id} (live)`, c.after === undefined ? `+++ /dev/null (${c.action})` : `+++ ${id} (files)`];
  const hunks = unifiedHunks(before, after);
  // Only redacted fields (a private key) differ: the diff cannot show them, but there is a change.
  return [[...header, hunks === '' ? '@@ only redacted fields (privateKey) differ @@' : hunks].join('\n')];
}

/** One file ending in .json goes as JSON; anything else (YAML, several files) as YAML documents. */
function filesBody(files: readonly string[], stdin: () => string): { body: string; contentType: string } {
  const texts = files.map((f) => {
    if (f === '-') return stdin();
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new UsageError(`-f ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
  if (files.length === 1 && files[0]!.toLowerCase().endsWith('.json')) return { body: texts[0]!, contentType: 'application/json' };
  return { body: texts.join('\n---\n'), contentType: 'application/yaml' };
}
