// Certificates for the scenario's HTTPS listener, made with openssl: one CA the clients trust and
// leaf certificates it signs (EC P-256), so a rotation swaps the leaf and clients can tell which one
// a handshake presented by its serial number.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Leaf {
  readonly certChain: string;
  readonly privateKey: string;
  /** Hex serial number, as node:tls reports it (`getPeerCertificate().serialNumber`). */
  readonly serial: string;
}

export interface TestCa {
  readonly caPem: string;
  /** A new leaf for `names` (first one is the subject). */
  issue(names: readonly string[]): Leaf;
  dispose(): void;
}

function openssl(args: readonly string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-zero-drop-ca-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=zero-drop test CA', '-days', '2', '-out', 'ca.pem'], dir);
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  let n = 0;
  return {
    caPem,
    issue(names) {
      const id = `leaf${n++}`;
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.ec`], dir);
      // PKCS#8, the form the examples use.
      openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${id}.ec`, '-out', `${id}.key`], dir);
      openssl(['req', '-new', '-key', `${id}.key`, '-subj', `/CN=${names[0]}`, '-out', `${id}.csr`], dir);
      writeFileSync(join(dir, `${id}.ext`), `subjectAltName=${names.map((x) => `DNS:${x}`).join(',')}\n`);
      openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${id}.ext`, '-out', `${id}.pem`], dir);
      const certChain = readFileSync(join(dir, `${id}.pem`), 'utf8');
      const serial = openssl(['x509', '-in', `${id}.pem`, '-noout', '-serial'], dir).trim().replace(/^serial=/, '').toUpperCase();
      return { certChain, privateKey: readFileSync(join(dir, `${id}.key`), 'utf8'), serial };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
