// Self-signed leaf certificates of a chosen key type (RSA 2048 or ECDSA P-256), made with openssl at
// test time, and the Certificate resource documents that carry them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyType = 'rsa' | 'ec';

export interface SelfSigned {
  readonly certChain: string;
  readonly privateKey: string;
}

/** A certificate with subject `CN=cn` and `names` as its DNS subjectAltNames. */
export function selfSigned(keyType: KeyType, cn: string, names: readonly string[]): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-self-signed-'));
  try {
    const newkey = keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    execFileSync(
      'openssl',
      ['req', '-x509', ...newkey, '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { certChain: readFileSync(join(dir, 'cert.pem'), 'utf8'), privateKey: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `kind: Certificate` YAML document. */
export function certificateDocument(name: string, cert: SelfSigned): string {
  const block = (pem: string): string => pem.trim().split('\n').map((line) => `    ${line}`).join('\n');
  return `kind: Certificate\nname: ${name}\ncertChain: |\n${block(cert.certChain)}\nprivateKey: |\n${block(cert.privateKey)}\n`;
}
