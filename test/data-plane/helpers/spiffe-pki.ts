// A throwaway mesh PKI made with openssl at test time: a CA, a server certificate for the proxy's TLS
// listener, and client certificates whose one URI SAN is a SPIFFE ID, as workload certificates are.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface SpiffePki {
  readonly ca: string;
  /** For the proxy's listener: `DNS:` names. */
  readonly server: KeyPair;
  /** A client certificate with `spiffeId` as its only URI SAN. */
  client(spiffeId: string): KeyPair;
  /** A workload certificate as the mesh CA issues them: `spiffeId` as its only URI SAN, for servers and clients. */
  workload(spiffeId: string): KeyPair;
  dispose(): void;
}

export function createSpiffePki(serverNames: readonly string[]): SpiffePki {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-spiffe-pki-'));
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  o('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sluice-test-mesh-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign,cRLSign');
  let n = 0;
  const issue = (subject: string, ext: string): KeyPair => {
    const id = `leaf${n++}`;
    writeFileSync(join(dir, `${id}.ext`), ext);
    o('req', ...ec, '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${subject}`);
    o('x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.pem`, '-days', '2', '-extfile', `${id}.ext`);
    return { cert: r(`${id}.pem`), key: r(`${id}.key`) };
  };
  const server = issue(serverNames[0]!, `subjectAltName=${serverNames.map((s) => `DNS:${s}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  return {
    ca: r('ca.pem'),
    server,
    client: (spiffeId) => issue(spiffeId.split('/').pop()!, `subjectAltName=URI:${spiffeId}\nextendedKeyUsage=clientAuth\n`),
    workload: (spiffeId) => issue(spiffeId.split('/').pop()!, `subjectAltName=URI:${spiffeId}\nextendedKeyUsage=serverAuth,clientAuth\n`),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A PEM block as an indented YAML literal. */
export function pemBlock(pem: string): string {
  return `|\n${pem.trim().split('\n').map((l) => `    ${l}`).join('\n')}`;
}
