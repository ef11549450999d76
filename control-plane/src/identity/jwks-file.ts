// Reads a JSON Web Key Set file (RFC 7517 §5): what `kubectl get --raw /openid/v1/jwks` prints, the
// public keys the cluster's service-account issuer signs tokens with.
import { readFileSync, statSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';

/** What identifies one version of the file: a changed mtime, size or inode (a ConfigMap's symlink swap) means re-read. */
export function jwksFileVersion(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** The key set in `path`; throws an Error saying what is wrong (unreadable, not JSON, no `keys`). */
export function readJwksFile(path: string): JSONWebKeySet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys)) throw new Error(`${path} is not a JSON Web Key Set: it needs a "keys" array`);
  if (keys.length === 0) throw new Error(`${path} holds no keys: every token would be refused`);
  keys.forEach((k: unknown, i) => {
    if (typeof k !== 'object' || k === null || typeof (k as { kty?: unknown }).kty !== 'string') throw new Error(`${path}: keys[${i}] is not a JSON Web Key (no "kty")`);
    if ('d' in k) throw new Error(`${path}: keys[${i}] is a private key; give the issuer's public keys only`);
  });
  return value as JSONWebKeySet;
}
