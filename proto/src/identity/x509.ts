// The X.509 library (@peculiar/x509 on Node's WebCrypto), set up once: certificates, CSRs and keys
// are built and parsed with it, never with hand-written ASN.1, with one exception: the workload CSR a
// proxy makes (certificate-request.ts), so that proxies never load this library.
// tsyringe, under @peculiar/x509, needs the Reflect metadata API before the library loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

export { x509 };

/** ECDSA P-256 with SHA-256: every key the mesh makes (the CA's, each proxy's). */
export const EC_P256: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A new ECDSA P-256 key pair whose private key can be exported once (to PKCS #8 PEM). */
export async function generateP256KeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
}

/** The private key as PKCS #8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** Imports a PKCS #8 PEM ECDSA P-256 private key for signing. */
export async function importP256PrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return await webcrypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign']);
}

/** Every certificate in a PEM text, in order. */
export function parseCertificates(pem: string): x509.X509Certificate[] {
  return x509.PemConverter.decode(pem).map((der) => new x509.X509Certificate(der));
}

/** The PEM of several certificates, one after the other. */
export function certificatesPem(certs: readonly x509.X509Certificate[]): string {
  return certs.map((c) => `${c.toString('pem')}\n`).join('');
}

/** The URI SANs of a certificate (a workload certificate holds one: its SPIFFE ID). */
export function uriSans(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return san === null ? [] : san.names.items.filter((n) => n.type === 'url').map((n) => n.value);
}
