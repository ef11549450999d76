// Private keys at rest under the operator's encryption keys: AES-256-GCM with a fresh nonce per value,
// stored as `sluice:aesgcm:v1:<key name>:<base64 nonce | ciphertext | tag>` so a reader knows which
// key opens it (the key ring of Kubernetes' EncryptionConfiguration and APISIX's data_encryption).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretSealer } from './secret-sealer.js';

/** Every sealed value starts with this; a value without it was stored before encryption was configured. */
export const SEALED_PREFIX = 'sluice:aesgcm:v1:';
/** 96-bit nonces, the size GCM is defined for (NIST SP 800-38D, 8.2). */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface EncryptionKey {
  /** Written into every value it seals; letters, digits, `.`, `_`, `-`. */
  readonly name: string;
  /** 32 bytes (AES-256). */
  readonly secret: Buffer;
}

export const KEY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A stored value that no configured key opens (or that was altered). */
export class UnopenableSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnopenableSecretError';
  }
}

/**
 * The first key seals; every key opens. With no key, values are stored as they are, and a sealed value
 * read back is refused rather than handed on as if it were the key.
 */
export class AesGcmSealer implements SecretSealer {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly primary: EncryptionKey | undefined;

  constructor(keys: readonly EncryptionKey[]) {
    const byName = new Map<string, Buffer>();
    for (const k of keys) {
      if (!KEY_NAME_PATTERN.test(k.name)) throw new Error(`encryption key name ${JSON.stringify(k.name)} must match ${KEY_NAME_PATTERN}`);
      if (k.secret.length !== KEY_BYTES) throw new Error(`encryption key "${k.name}" must be ${KEY_BYTES} bytes, got ${k.secret.length}`);
      if (byName.has(k.name)) throw new Error(`encryption key "${k.name}" is listed twice`);
      byName.set(k.name, k.secret);
    }
    this.keys = byName;
    this.primary = keys[0];
  }

  /** The key new values are sealed with; undefined when values are stored in plaintext. */
  get primaryKeyName(): string | undefined {
    return this.primary?.name;
  }

  get keyNames(): readonly string[] {
    return [...this.keys.keys()];
  }

  seal(plaintext: string): string {
    if (this.primary === undefined) return plaintext;
    const header = `${SEALED_PREFIX}${this.primary.name}:`;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.primary.secret, nonce);
    // The header is authenticated too: a value cannot be relabelled with another key's name.
    cipher.setAAD(Buffer.from(header));
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return header + body.toString('base64');
  }

  open(stored: string): string {
    if (!stored.startsWith(SEALED_PREFIX)) return stored;
    const rest = stored.slice(SEALED_PREFIX.length);
    const colon = rest.indexOf(':');
    const name = colon < 0 ? '' : rest.slice(0, colon);
    if (colon < 0 || !KEY_NAME_PATTERN.test(name)) throw new UnopenableSecretError('the sealed value is malformed (no key name)');
    const secret = this.keys.get(name);
    if (secret === undefined) {
      const configured = this.keys.size === 0 ? 'no encryption key is configured (--encryption-key-file)' : `the configured keys are ${this.keyNames.map((n) => `"${n}"`).join(', ')}`;
      throw new UnopenableSecretError(`it is sealed with encryption key "${name}", which is not configured: ${configured}`);
    }
    const body = Buffer.from(rest.slice(colon + 1), 'base64');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new UnopenableSecretError(`the value sealed with key "${name}" is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', secret, body.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(`${SEALED_PREFIX}${name}:`));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new UnopenableSecretError(`key "${name}" does not open it: the value was altered, or the key named "${name}" is not the one that sealed it`);
    }
  }
}

/** The name of the key that sealed `stored`; undefined for a value stored in plaintext. */
export function sealingKeyName(stored: string): string | undefined {
  if (!stored.startsWith(SEALED_PREFIX)) return undefined;
  const rest = stored.slice(SEALED_PREFIX.length);
  const colon = rest.indexOf(':');
  return colon < 0 ? undefined : rest.slice(0, colon);
}
