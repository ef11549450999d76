// What the mesh CA signs with: a CA certificate and its private key, the intermediates between it and
// a root, and every root proxies must trust. Built from the store's self-made root (root-authority.ts)
// or from the operator's files (plugin-authority.ts), and checked the same way.
import { webcrypto } from 'node:crypto';
import { certificatesPem, x509 } from '../../../proto/src/identity/x509.js';

export interface SigningAuthority {
  /** The certificate whose key signs workload certificates: a root, or an intermediate under one. */
  readonly signer: x509.X509Certificate;
  readonly signingKey: webcrypto.CryptoKey;
  /** Certificates between the signer and its root (the signer excluded), sent after each leaf. */
  readonly intermediates: readonly x509.X509Certificate[];
  /** Every root proxies must trust (the signer's among them). */
  readonly roots: readonly x509.X509Certificate[];
}

/** The roots as one PEM text: the trust bundle. */
export function trustBundlePem(authority: SigningAuthority): string {
  return certificatesPem(authority.roots);
}

export function isSelfSigned(cert: x509.X509Certificate): boolean {
  return cert.subject === cert.issuer;
}

/** Why `cert` cannot sign workload certificates, or undefined when it can. */
export function caProblem(cert: x509.X509Certificate, now = new Date()): string | undefined {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (bc === null || !bc.ca) return 'is not a CA certificate (basicConstraints cA is not set)';
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (ku !== null && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) return 'may not sign certificates (keyUsage lacks keyCertSign)';
  if (cert.notAfter.getTime() <= now.getTime()) return `expired at ${cert.notAfter.toISOString()}`;
  return undefined;
}

/** The signature algorithm a CA key signs with: ECDSA with SHA-256 (any curve), or the RSA key's own scheme. */
export function signingAlgorithm(key: webcrypto.CryptoKey): webcrypto.EcdsaParams | webcrypto.Algorithm {
  return key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: key.algorithm.name };
}

/** Whether `key` is the private key of `cert`: a test signature made with it verifies with the certificate's key. */
export async function keyMatches(cert: x509.X509Certificate, key: webcrypto.CryptoKey): Promise<boolean> {
  const data = webcrypto.getRandomValues(new Uint8Array(32));
  const algorithm = key.algorithm.name === 'RSA-PSS' ? { name: 'RSA-PSS', saltLength: 32 } : signingAlgorithm(key);
  try {
    const signature = await webcrypto.subtle.sign(algorithm, key, data);
    const publicKey = await cert.publicKey.export(key.algorithm as webcrypto.EcKeyImportParams, ['verify']);
    return await webcrypto.subtle.verify(algorithm, publicKey, signature, data);
  } catch {
    return false;
  }
}
