// A throwaway PKI made with openssl in a temp dir: one CA, server certificates for 127.0.0.1 and
// localhost, client certificates; file paths, as etcd, etcdctl and `sluice` flags take them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export class TestPki {
  /** The CA certificate's path. */
  readonly ca: string;
  private n = 0;

  private constructor(readonly dir: string, name: string) {
    this.ca = join(dir, 'ca.pem');
    this.openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
    this.openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name}`, '-days', '2', '-out', 'ca.pem']);
  }

  static create(name = 'sluice test CA'): TestPki {
    return new TestPki(mkdtempSync(join(tmpdir(), 'sluice-pki-')), name);
  }

  /** A certificate for 127.0.0.1 and localhost, usable by servers and (etcd's peers) as a client. */
  server(cn = 'localhost'): CertFiles {
    return this.issue(cn, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  }

  /** A client certificate; etcd takes its CN as the user name when auth is enabled. */
  client(cn: string): CertFiles {
    return this.issue(cn, 'extendedKeyUsage=clientAuth\n');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private issue(cn: string, extensions: string): CertFiles {
    const id = `cert${this.n++}`;
    this.openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.ec`]);
    this.openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${id}.ec`, '-out', `${id}.key`]);
    this.openssl(['req', '-new', '-key', `${id}.key`, '-subj', `/CN=${cn}`, '-out', `${id}.csr`]);
    writeFileSync(join(this.dir, `${id}.ext`), extensions);
    this.openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${id}.ext`, '-out', `${id}.pem`]);
    return { cert: join(this.dir, `${id}.pem`), key: join(this.dir, `${id}.key`) };
  }

  private openssl(args: readonly string[]): string {
    return execFileSync('openssl', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

/** The PEM text of a file. */
export function pem(path: string): string {
  return readFileSync(path, 'utf8');
}
