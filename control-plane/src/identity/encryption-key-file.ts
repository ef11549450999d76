// Reads `--encryption-key-file`: the operator's named AES-256 keys, first one sealing, all opening.
//
//   keys:
//     - name: key-2026-12
//       secret: <32 random bytes in base64: `head -c 32 /dev/urandom | base64`>
//     - name: key-2026-06
//       secret: ...
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import { KEY_BYTES, KEY_NAME_PATTERN, type EncryptionKey } from './aes-gcm-sealer.js';

export function readEncryptionKeyFile(path: string): EncryptionKey[] {
  const problem = (what: string): UsageError => new UsageError(`--encryption-key-file ${path}: ${what}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw problem((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw problem(`not YAML: ${(err as Error).message}`);
  }
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw problem('needs `keys:`, a list of at least one {name, secret}');
  const keys: EncryptionKey[] = [];
  list.forEach((entry: unknown, i) => {
    const { name, secret } = (entry ?? {}) as { name?: unknown; secret?: unknown };
    if (typeof name !== 'string' || !KEY_NAME_PATTERN.test(name)) throw problem(`keys[${i}].name: must be 1 to 64 letters, digits, ".", "_" or "-"`);
    if (keys.some((k) => k.name === name)) throw problem(`keys[${i}].name: "${name}" is listed twice`);
    const bytes = typeof secret === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(secret.trim()) ? Buffer.from(secret.trim(), 'base64') : undefined;
    if (bytes?.length !== KEY_BYTES) throw problem(`keys[${i}].secret: must be ${KEY_BYTES} bytes in base64 (head -c ${KEY_BYTES} /dev/urandom | base64)${bytes === undefined ? '' : `, got ${bytes.length} bytes`}`);
    keys.push({ name, secret: bytes });
  });
  return keys;
}
