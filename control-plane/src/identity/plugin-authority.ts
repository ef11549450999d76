// The operator's own CA (Istio's "plug-in CA"): an intermediate certificate and its key from files, and
// the chain above it up to the root. The mesh then signs under the organisation's root, and the key
// stays on the replicas' disks: it is never written to the store.
import { createPrivateKey, webcrypto } from 'node:crypto';
import { parseCertificates, x509 } from '../../../proto/src/identity/x509.js';
import { caProblem, isSelfSigned, keyMatches, type SigningAuthority } from './signing-authority.js';

export interface PluginCaFiles {
  /** --ca-cert: the certificate that signs (an intermediate, or a root), PEM. */
  readonly certPem: string;
  /** --ca-key: its private key (PKCS #8, SEC1 or PKCS #1 PEM). */
  readonly keyPem: string;
  /** --ca-chain: the certificates above --ca-cert, ending with the root; absent when --ca-cert is itself a root. */
  readonly chainPem?: string;
}

/** Thrown when the files do not make a CA; the message says which flag and why. */
export class PluginCaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginCaError';
  }
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };

export async function pluginAuthority(files: PluginCaFiles): Promise<SigningAuthority> {
  const signer = certificates(files.certPem, '--ca-cert')[0]!;
  const problem = caProblem(signer);
  if (problem !== undefined) throw new PluginCaError(`--ca-cert ${problem}`);
  const signingKey = await importKey(files.keyPem);
  if (!(await keyMatches(signer, signingKey))) throw new PluginCaError('--ca-key is not the private key of --ca-cert');
  const chain = files.chainPem === undefined ? [] : certificates(files.chainPem, '--ca-chain');
  const intermediates = chain.filter((c) => !isSelfSigned(c));
  const roots = isSelfSigned(signer) ? [signer, ...chain.filter(isSelfSigned)] : chain.filter(isSelfSigned);
  if (roots.length === 0) throw new PluginCaError('--ca-chain must end with the root certificate (--ca-cert is not self-signed)');
  // Each certificate must be signed by the next one, and the last by one of the roots (a chain may
  // list an old and a new root while a root is rotated): proxies verify the same path.
  const path = [signer, ...intermediates];
  const signedBy = (cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> => cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false);
  for (let i = 0; i + 1 < path.length; i++) {
    if (!(await signedBy(path[i]!, path[i + 1]!))) throw new PluginCaError(`--ca-chain: "${path[i]!.subject}" is not signed by "${path[i + 1]!.subject}" (list the chain from --ca-cert's issuer up to the root)`);
  }
  const top = path[path.length - 1]!;
  if (!isSelfSigned(top)) {
    const anchored = await Promise.all(roots.map((r) => signedBy(top, r)));
    if (!anchored.includes(true)) throw new PluginCaError(`--ca-chain: no root in it signed "${top.subject}"`);
  }
  for (const c of intermediates) {
    const p = caProblem(c);
    if (p !== undefined) throw new PluginCaError(`--ca-chain: "${c.subject}" ${p}`);
  }
  return { signer, signingKey, intermediates, roots };
}

function certificates(pem: string, flag: string): x509.X509Certificate[] {
  let certs: x509.X509Certificate[];
  try {
    certs = parseCertificates(pem);
  } catch (err) {
    throw new PluginCaError(`${flag} does not hold PEM certificates: ${(err as Error).message}`);
  }
  if (certs.length === 0) throw new PluginCaError(`${flag} holds no PEM certificate`);
  return certs;
}

/** Any PEM private key node:crypto reads, as a WebCrypto signing key that cannot be exported again. */
async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new PluginCaError(`--ca-key does not hold a PEM private key: ${(err as Error).message}`);
  }
  const der = key.export({ type: 'pkcs8', format: 'der' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve === undefined) throw new PluginCaError(`--ca-key is an EC key on ${key.asymmetricKeyDetails?.namedCurve}; P-256 or P-384 are supported`);
    return await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
  }
  if (key.asymmetricKeyType === 'rsa') return await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  throw new PluginCaError(`--ca-key is a ${key.asymmetricKeyType} key; ECDSA (P-256, P-384) or RSA keys are supported`);
}
