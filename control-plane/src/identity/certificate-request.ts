// Reads a workload's PKCS #10 certificate signing request (RFC 2986): the PEM must hold one request
// whose self-signature verifies (proof that the caller holds the private key) and whose key the mesh
// accepts. Its subject and names are ignored: the certificate names the caller's identity.
import type { webcrypto } from 'node:crypto';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { x509 } from '../../../proto/src/identity/x509.js';
import { MAX_CSR_PEM_BYTES } from '../../../proto/src/wire/identity-service-definition.js';

/** ECDSA on these curves, or RSA with at least MIN_RSA_BITS: what mesh peers can verify quickly and safely. */
const EC_CURVES = new Set(['P-256', 'P-384']);
const MIN_RSA_BITS = 2048;

/** The public key a valid CSR carries; throws ControlPlaneError SLUICE_BAD_CSR saying what is wrong. */
export async function verifiedCsrKey(csrPem: string): Promise<x509.PublicKey> {
  if (Buffer.byteLength(csrPem) > MAX_CSR_PEM_BYTES) throw badCsr(`is larger than ${MAX_CSR_PEM_BYTES} bytes`);
  if (!/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(csrPem)) throw badCsr('is not a PEM "CERTIFICATE REQUEST"');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw badCsr(`is not a PKCS #10 request: ${(err as Error).message}`, err);
  }
  let key: webcrypto.CryptoKey;
  try {
    key = await csr.publicKey.export();
  } catch (err) {
    throw badCsr(`has a key this CA does not accept: ${(err as Error).message}`, err);
  }
  const problem = keyProblem(key.algorithm);
  if (problem !== undefined) throw badCsr(problem);
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch (err) {
    throw badCsr(`signature cannot be checked: ${(err as Error).message}`, err);
  }
  if (!verified) throw badCsr('signature does not verify with its own public key');
  return csr.publicKey;
}

function keyProblem(algorithm: webcrypto.KeyAlgorithm): string | undefined {
  if (algorithm.name === 'ECDSA') {
    const curve = (algorithm as webcrypto.EcKeyAlgorithm).namedCurve;
    return EC_CURVES.has(curve) ? undefined : `has an ECDSA key on ${curve}; the CA signs P-256 or P-384 keys`;
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' || algorithm.name === 'RSA-PSS') {
    const bits = (algorithm as webcrypto.RsaHashedKeyAlgorithm).modulusLength;
    return bits >= MIN_RSA_BITS ? undefined : `has a ${bits}-bit RSA key; the CA signs RSA keys of ${MIN_RSA_BITS} bits or more`;
  }
  return `has a ${algorithm.name} key; the CA signs ECDSA (P-256, P-384) or RSA keys`;
}

function badCsr(problem: string, cause?: unknown): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.BadCsr, `the certificate signing request ${problem}`, {
    errors: [{ path: 'csr_pem', message: problem }],
    ...(cause === undefined ? {} : { cause }),
  });
}
