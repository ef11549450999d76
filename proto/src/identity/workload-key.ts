// A workload's own key pair and the CSR that proves it holds the private key: made in the process
// that will use it (ECDSA P-256 through WebCrypto), so the private key never leaves it (a proxy, or
// the control plane for its own discovery-port certificate).
import { generateP256KeyPair, privateKeyPem, x509, EC_P256 } from './x509.js';

export interface WorkloadKey {
  /** PKCS #8 PEM: handed to the workers only, never sent anywhere else. */
  readonly keyPem: string;
  /** The PKCS #10 request for it, PEM. */
  readonly csrPem: string;
}

/**
 * A new key pair and its CSR. The CSR may name the identity the proxy expects (`spiffeId`), for the
 * reader of logs; the CA ignores it and names the identity the bootstrap token is scoped to.
 */
export async function createWorkloadKey(spiffeId?: string): Promise<WorkloadKey> {
  const keys = await generateP256KeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: EC_P256,
    ...(spiffeId === undefined ? {} : { extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])] }),
  });
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem: `${csr.toString('pem')}\n` };
}
