// Encryption keys for tests: random named AES-256 keys and the --encryption-key-file that lists them.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { EncryptionKey } from '../../control-plane/src/identity/aes-gcm-sealer.js';

export function testKey(name: string): EncryptionKey {
  return { name, secret: randomBytes(32) };
}

/** Writes the key file (first key seals) and returns its path. */
export function writeEncryptionKeyFile(path: string, keys: readonly EncryptionKey[]): string {
  writeFileSync(path, `keys:\n${keys.map((k) => `  - name: ${k.name}\n    secret: ${k.secret.toString('base64')}\n`).join('')}`, { mode: 0o600 });
  return path;
}
