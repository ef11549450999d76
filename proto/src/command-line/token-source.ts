// Where the admin token comes from: --token-file FILE, else SLUICE_TOKEN, else (sluice start only)
// a fresh random one; and a proxy's tokens, read from their file at each use.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

export function readTokenFile(path: string, flag = '--token-file'): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new UsageError(`${flag} ${path} must hold one token (no spaces), got ${token === '' ? 'an empty file' : 'several words'}`);
  return token;
}

/** A bearer token, or how to get it at each use (a token file that is rewritten as the token expires). */
export type BearerToken = string | (() => string);

export function currentToken(token: BearerToken): string {
  return typeof token === 'function' ? token() : token;
}

/**
 * Reads `path` now (a missing or empty file is a UsageError) and again at each call: a projected
 * Kubernetes service-account token expires (1 h by default) and the kubelet writes its successor into
 * the same file. A file that cannot be read later gives the last token read (the control plane says
 * whether it still holds).
 */
export function tokenFileReader(path: string, flag: string): () => string {
  let last = readTokenFile(path, flag);
  return () => {
    try {
      last = readTokenFile(path, flag);
    } catch (err) {
      console.error(`sluice: ${(err as Error).message}; using the token read before`);
    }
    return last;
  };
}

/** The token of --token-file or SLUICE_TOKEN; undefined when neither is given. */
export function configuredToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (tokenFile !== undefined) return readTokenFile(tokenFile);
  const fromEnv = env['SLUICE_TOKEN']?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * 32 random bytes, URL-safe, for `sluice start`. Prefixed: base64url may begin with '-', and a token
 * pasted after `--token` must never read as a flag.
 */
export function generateToken(): string {
  return `sluice-${randomBytes(32).toString('base64url')}`;
}
