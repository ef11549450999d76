// Where the admin token comes from: --token-file FILE, else SLUICE_TOKEN, else (sluice start only)
// a fresh random one.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--token-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new UsageError(`--token-file ${path} must hold one token (no spaces), got ${token === '' ? 'an empty file' : 'several words'}`);
  return token;
}

/** The token of --token-file or SLUICE_TOKEN; undefined when neither is given. */
export function configuredToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (tokenFile !== undefined) return readTokenFile(tokenFile);
  const fromEnv = env['SLUICE_TOKEN']?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** 32 random bytes, URL-safe: for `sluice start`. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}
