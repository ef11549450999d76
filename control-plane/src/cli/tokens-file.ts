// `--tokens-file FILE`: the admin API's named tokens with roles, one `token,name,role` per line, in the
// shape of Kubernetes' static token file (`token,user,uid,...`). Blank lines and lines starting with
// `#` are skipped. Every problem is reported with its line number, and never with the token itself.
import { readFileSync } from 'node:fs';
import { API_ROLES, isApiRole } from '../api/api-role.js';
import type { ApiTokenEntry } from '../api/api-tokens.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

/** Reads and validates FILE; throws UsageError naming every bad line. */
export function readTokensFile(path: string): ApiTokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--tokens-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTokensFile(text, path);
}

export function parseTokensFile(text: string, path: string): ApiTokenEntry[] {
  const entries: ApiTokenEntry[] = [];
  const problems: string[] = [];
  const firstLine = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const at = `${path}:${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== 3) {
      problems.push(`${at}: expected token,name,role (3 fields), got ${fields.length}`);
      return;
    }
    const [token, name, role] = fields as [string, string, string];
    const before = problems.length;
    if (token === '') problems.push(`${at}: the token is empty`);
    else if (/\s/.test(token)) problems.push(`${at}: the token holds a space`);
    if (name === '') problems.push(`${at}: the name is empty`);
    if (!isApiRole(role)) problems.push(`${at}: unknown role ${JSON.stringify(role)} (one of ${API_ROLES.join(', ')})`);
    const seen = firstLine.get(token);
    if (token !== '' && seen !== undefined) problems.push(`${at}: the same token as line ${seen}`);
    if (token !== '' && seen === undefined) firstLine.set(token, i + 1);
    if (problems.length === before && isApiRole(role)) entries.push({ token, name, role });
  });
  if (problems.length > 0) throw new UsageError(`--tokens-file: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`);
  if (entries.length === 0) throw new UsageError(`--tokens-file ${path} lists no token`);
  return entries;
}
