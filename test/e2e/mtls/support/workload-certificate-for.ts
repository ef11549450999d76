// A workload certificate for a third service, obtained as a proxy obtains its own (a bootstrap token,
// a CSR to IssueCertificate) and written to files, so that openssl and the test's own TLS clients can
// present a mesh identity to a sidecar's inbound listener.
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestCertificate } from '../../../../data-plane/src/identity/certificate-client.js';
import { createWorkloadKey } from '../../../../proto/src/identity/workload-key.js';
import type { MeshControlPlane } from './mesh-control-plane.js';

export interface WorkloadFiles {
  readonly keyPem: string;
  readonly chainPem: string;
  readonly bundlePem: string;
  readonly keyFile: string;
  readonly chainFile: string;
  readonly bundleFile: string;
  /** SHA-256 of the leaf's DER, lowercase hex: what x-forwarded-client-cert's Hash names. */
  readonly leafSha256: string;
}

export async function workloadCertificateFor(cp: MeshControlPlane, service: string): Promise<WorkloadFiles> {
  const token = readFileSync(await cp.bootstrapTokenFile(service), 'utf8').trim();
  const key = await createWorkloadKey();
  const issued = await requestCertificate({ addresses: [cp.discovery], token }, key.csrPem);
  const leaf = new X509Certificate(issued.certChainPem);
  const files = { keyFile: join(cp.dir, `${service}.key`), chainFile: join(cp.dir, `${service}.pem`), bundleFile: join(cp.dir, `${service}-bundle.pem`) };
  writeFileSync(files.keyFile, key.keyPem, { mode: 0o600 });
  writeFileSync(files.chainFile, issued.certChainPem);
  writeFileSync(files.bundleFile, issued.trustBundlePem);
  return { ...files, keyPem: key.keyPem, chainPem: issued.certChainPem, bundlePem: issued.trustBundlePem, leafSha256: createHash('sha256').update(leaf.raw).digest('hex') };
}
