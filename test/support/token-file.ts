// A fresh temporary folder holding an admin token file, as `--token-file` reads it (one line, mode
// 0600): the set-up of every test that runs `sluice` processes which must agree on a token.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TokenDir {
  /** The folder, for the test's other files; the test removes it. */
  readonly dir: string;
  readonly token: string;
  readonly tokenFile: string;
}

export function tokenDir(prefix: string): TokenDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return { dir, token, tokenFile };
}
