// Semantic checks of one Certificate: the PEM parses, the key matches the leaf, the names are valid.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Certificate } from '../../../gen/sluice/v1/certificate_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkHostPattern } from './syntax.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into certificates; throws on a block that does not parse. */
export function parseCertificates(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => new X509Certificate(block));
}

/** The DNS names of a leaf certificate's subjectAltName (falling back to its CN). */
export function dnsNamesOf(leaf: X509Certificate): string[] {
  const san = leaf.subjectAltName;
  if (san !== undefined) {
    return san.split(/,\s*/).filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4));
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject);
  return cn?.[1] !== undefined ? [cn[1]] : [];
}

/**
 * `keyWithheld`: a chain without its key is accepted (a proxy's view; see SpecCheckOptions).
 * `refuseExpiredAt`: refuse a leaf that has expired by then. Only new writes pass it: a certificate
 * that expires after it was stored must not make proxies NACK, or discard, a whole configuration.
 */
export function validateCertificate(cert: Certificate, path: string, errors: FieldErrors, refuseExpiredAt?: Date, keyWithheld = false): void {
  const chainPath = fieldPath(path, 'certChain');
  const keyPath = fieldPath(path, 'privateKey');
  if (cert.certChain === '' && cert.privateKey === '' && cert.caBundle === '') {
    errors.add(path, 'needs certChain and privateKey, or caBundle');
    return;
  }
  if ((cert.certChain === '') !== (cert.privateKey === '') && !(keyWithheld && cert.privateKey === '')) {
    errors.add(cert.certChain === '' ? chainPath : keyPath, 'certChain and privateKey go together');
  }

  let leaf: X509Certificate | undefined;
  if (cert.certChain !== '') {
    try {
      const chain = parseCertificates(cert.certChain);
      if (chain.length === 0) errors.add(chainPath, 'contains no PEM certificate');
      leaf = chain[0];
    } catch (err) {
      errors.add(chainPath, `does not parse: ${(err as Error).message}`);
    }
  }
  let key: KeyObject | undefined;
  if (cert.privateKey !== '') {
    try {
      key = createPrivateKey(cert.privateKey);
    } catch {
      // Never echo the key or the parser's excerpt of it.
      errors.add(keyPath, 'is not a PEM private key');
    }
  }
  if (leaf !== undefined && key !== undefined && !leaf.checkPrivateKey(key)) {
    errors.add(keyPath, 'does not match the first certificate of certChain');
  }
  if (leaf !== undefined && refuseExpiredAt !== undefined && new Date(leaf.validTo) < refuseExpiredAt) {
    errors.add(chainPath, `expired at ${new Date(leaf.validTo).toISOString()}`);
  }
  if (cert.caBundle !== '') {
    try {
      if (parseCertificates(cert.caBundle).length === 0) errors.add(fieldPath(path, 'caBundle'), 'contains no PEM certificate');
    } catch (err) {
      errors.add(fieldPath(path, 'caBundle'), `does not parse: ${(err as Error).message}`);
    }
  }
  cert.sniNames.forEach((name, i) => checkHostPattern(name, `${fieldPath(path, 'sniNames')}[${i}]`, errors, false));
  if (cert.sniNames.length === 0 && leaf !== undefined && dnsNamesOf(leaf).length === 0) {
    errors.add(fieldPath(path, 'sniNames'), 'the certificate names no DNS name: list the names it serves');
  }
}

/** Output-only fields the control plane fills in: the leaf's expiry. */
export function certificateNotAfter(cert: Certificate): string {
  try {
    const leaf = parseCertificates(cert.certChain)[0];
    return leaf === undefined ? '' : new Date(leaf.validTo).toISOString();
  } catch {
    return '';
  }
}
