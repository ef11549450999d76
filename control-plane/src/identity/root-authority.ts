// The mesh's own root CA, kept in the store: made by the first replica that finds none (one
// create-if-absent transaction, so replicas starting together agree on one root) and read by every
// other. Its private key is sealed (secret-sealer.ts) before it is written and is never returned by
// any API or logged.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { generateP256KeyPair, importP256PrivateKey, parseCertificates, privateKeyPem, x509, EC_P256 } from '../../../proto/src/identity/x509.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { IDENTITY_PREFIX, type KeyValueStore, type StoredValue } from '../store/key-value-store.js';
import type { SecretSealer } from './secret-sealer.js';
import { caProblem, keyMatches, type SigningAuthority } from './signing-authority.js';

/** The CA's one key in the store: every root and which one signs. */
export const CA_STORE_KEY = `${IDENTITY_PREFIX}ca`;

/** Ten years, as Istio's self-signed root (citadel's default): rotated by hand long before it ends. */
export const ROOT_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/** One root as stored: the certificate, and its private key as the sealer returned it. */
export interface StoredRoot {
  readonly certPem: string;
  readonly sealedKeyPem: string;
}

/** The value at CA_STORE_KEY. More than one root while a root is rotated (docs/identity.md). */
export interface StoredCa {
  readonly roots: readonly StoredRoot[];
  /** The serial number (hex) of the root that signs workload certificates. */
  readonly signingSerial: string;
}

/** A random positive serial number of 128 bits, hex (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** A new self-signed ECDSA P-256 root for `trustDomain`, with its key sealed. */
export async function createRoot(trustDomain: string, sealer: SecretSealer, now = new Date()): Promise<StoredRoot> {
  const keys = await generateP256KeyPair();
  const serialNumber = randomSerial();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    name: `O=${trustDomain}, CN=sluice mesh root ${serialNumber.slice(0, 8)}`,
    // Backdated a little: a proxy whose clock runs behind still accepts it.
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + ROOT_LIFETIME_SECONDS * 1000),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, sealedKeyPem: sealer.seal(await privateKeyPem(keys.privateKey)) };
}

/**
 * The CA's stored value; on the first start of the mesh, a new root made and stored first (another
 * replica's, when it stored one at the same moment).
 */
export async function loadOrCreateStoredCa(kv: KeyValueStore, sealer: SecretSealer, trustDomain: string, log: Logger): Promise<StoredValue> {
  const existing = await kv.get(CA_STORE_KEY);
  if (existing !== undefined) return existing;
  const root = await createRoot(trustDomain, sealer);
  const fresh: StoredCa = { roots: [root], signingSerial: parseCertificates(root.certPem)[0]!.serialNumber };
  const result = await kv.createIfAbsent(CA_STORE_KEY, JSON.stringify(fresh));
  if (result.created) log.info({ serial: fresh.signingSerial, trustDomain }, 'mesh CA: created a new root');
  return result;
}

/** Decodes the value at CA_STORE_KEY. */
export function decodeStoredCa(value: string): StoredCa {
  try {
    const ca = JSON.parse(value) as StoredCa;
    if (!Array.isArray(ca.roots) || typeof ca.signingSerial !== 'string') throw new Error('roots or signingSerial missing');
    return ca;
  } catch (err) {
    throw new ControlPlaneError(ErrorCode.Internal, `the store's ${CA_STORE_KEY} is not a mesh CA: ${(err as Error).message}`, { cause: err });
  }
}

/** Decodes the value at CA_STORE_KEY and opens the signing root's key. */
export async function openStoredCa(value: string, sealer: SecretSealer): Promise<SigningAuthority> {
  const ca = decodeStoredCa(value);
  const roots = ca.roots.map((r) => parseCertificates(r.certPem)[0]!);
  const index = roots.findIndex((r) => r.serialNumber === ca.signingSerial);
  if (index < 0) throw new ControlPlaneError(ErrorCode.Internal, `the store's mesh CA names signing root ${ca.signingSerial}, which it does not hold`);
  const signer = roots[index]!;
  const problem = caProblem(signer);
  if (problem !== undefined) throw new ControlPlaneError(ErrorCode.Internal, `the mesh CA's signing root ${signer.serialNumber} ${problem}`);
  const signingKey = await importP256PrivateKey(sealer.open(ca.roots[index]!.sealedKeyPem));
  if (!(await keyMatches(signer, signingKey))) throw new ControlPlaneError(ErrorCode.Internal, `the mesh CA's stored key is not the key of root ${signer.serialNumber}`);
  return { signer, signingKey, intermediates: [], roots };
}
