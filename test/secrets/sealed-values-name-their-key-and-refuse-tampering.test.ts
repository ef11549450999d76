// The AES-256-GCM sealer and the key file: a fresh nonce per value, the key named in the stored form,
// every listed key opening, and clear refusals (unknown key, altered value, relabelled key, bad file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmSealer, sealingKeyName, UnopenableSecretError } from '../../control-plane/src/identity/aes-gcm-sealer.js';
import { readEncryptionKeyFile } from '../../control-plane/src/identity/encryption-key-file.js';
import { UsageError } from '../../proto/src/command-line/usage-error.js';

const k1 = { name: 'k1', secret: randomBytes(32) };
const k2 = { name: 'k2', secret: randomBytes(32) };
const PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n';

test('the first key seals with a fresh nonce each time; the stored form names it; every listed key opens', () => {
  const sealer = new AesGcmSealer([k1]);
  const a = sealer.seal(PEM);
  const b = sealer.seal(PEM);
  assert.match(a, /^sluice:aesgcm:v1:k1:[A-Za-z0-9+/]+=*$/);
  assert.notEqual(a, b, 'each seal draws a new nonce');
  assert.ok(!a.includes('PRIVATE KEY'));
  assert.equal(sealingKeyName(a), 'k1');
  assert.equal(sealer.open(a), PEM);
  assert.equal(sealer.open(b), PEM);
  const rotated = new AesGcmSealer([k2, k1]);
  assert.equal(rotated.open(a), PEM, 'a value sealed with the old key still opens');
  assert.equal(sealingKeyName(rotated.seal(PEM)), 'k2', 'new values are sealed with the first key');
});

test('values stored before encryption was configured read as they are; without keys nothing is sealed', () => {
  assert.equal(new AesGcmSealer([k1]).open(PEM), PEM);
  const none = new AesGcmSealer([]);
  assert.equal(none.seal(PEM), PEM);
  assert.equal(none.primaryKeyName, undefined);
});

test('a value no configured key opens is refused with the key it needs, never returned sealed or empty', () => {
  const sealed = new AesGcmSealer([k2]).seal(PEM);
  assert.throws(() => new AesGcmSealer([k1]).open(sealed), (err: Error) => err instanceof UnopenableSecretError && /encryption key "k2", which is not configured: the configured keys are "k1"/.test(err.message));
  assert.throws(() => new AesGcmSealer([]).open(sealed), /no encryption key is configured \(--encryption-key-file\)/);
});

test('an altered value, or one relabelled with another key name, does not open', () => {
  const sealer = new AesGcmSealer([k1, { name: 'k1b', secret: k1.secret }]);
  const sealed = sealer.seal(PEM);
  const body = Buffer.from(sealed.slice('sluice:aesgcm:v1:k1:'.length), 'base64');
  body[20] = body[20]! ^ 1;
  assert.throws(() => sealer.open(`sluice:aesgcm:v1:k1:${body.toString('base64')}`), /does not open it: the value was altered/);
  // Same secret under another name: the name is authenticated with the ciphertext.
  assert.throws(() => sealer.open(sealed.replace(':k1:', ':k1b:')), /does not open it/);
  assert.throws(() => sealer.open('sluice:aesgcm:v1:k1:AAAA'), /truncated/);
  // A key of the same name but other bytes (a wrong file) is told apart from a missing one.
  assert.throws(() => new AesGcmSealer([{ name: 'k1', secret: randomBytes(32) }]).open(sealed), /key "k1" does not open it/);
});

test('the key file: named 32-byte base64 secrets, first one first; every mistake names the file and the entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-keys-'));
  try {
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const good = file('good.yaml', `keys:\n  - name: k2\n    secret: ${k2.secret.toString('base64')}\n  - name: k1\n    secret: ${k1.secret.toString('base64')}\n`);
    const keys = readEncryptionKeyFile(good);
    assert.deepEqual(keys.map((k) => k.name), ['k2', 'k1']);
    assert.ok(keys[0]!.secret.equals(k2.secret));
    for (const [text, message] of [
      ['keys: []\n', /needs `keys:`/],
      ['nothing: 1\n', /needs `keys:`/],
      [`keys:\n  - name: "a:b"\n    secret: ${k1.secret.toString('base64')}\n`, /keys\[0\]\.name: must be 1 to 64 letters/],
      [`keys:\n  - name: k1\n    secret: ${randomBytes(16).toString('base64')}\n`, /keys\[0\]\.secret: must be 32 bytes in base64.*got 16 bytes/],
      ['keys:\n  - name: k1\n    secret: "not base64!"\n', /keys\[0\]\.secret: must be 32 bytes/],
      [`keys:\n  - name: k1\n    secret: ${k1.secret.toString('base64')}\n  - name: k1\n    secret: ${k2.secret.toString('base64')}\n`, /keys\[1\]\.name: "k1" is listed twice/],
      ['keys: [\n', /not YAML/],
    ] as const) {
      const path = file('bad.yaml', text);
      assert.throws(() => readEncryptionKeyFile(path), (err: Error) => err instanceof UsageError && err.message.startsWith(`--encryption-key-file ${path}: `) && message.test(err.message), text);
    }
    assert.throws(() => readEncryptionKeyFile(join(dir, 'missing.yaml')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
