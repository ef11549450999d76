// A workload's own key pair and the CSR that proves it holds the private key: made in the process
// that will use it (ECDSA P-256), so the private key never leaves it (a proxy, or the control plane
// for its own discovery-port certificate). node:crypto and certificate-request.ts only: a proxy
// makes one at each renewal and must not load the X.509 library for it.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { certificateRequestPem } from './certificate-request.js';

const generateEcKeyPair = promisify(generateKeyPair);

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
  const { privateKey, publicKey } = await generateEcKeyPair('ec', { namedCurve: 'P-256' });
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, csrPem: certificateRequestPem(privateKey, publicKey, spiffeId) };
}
