// The proxy's workload certificate as one plain value: what the primary obtained, what it hands its
// workers over IPC (structured clone), and what GET /certs describes (never the key).
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface WorkloadIdentity {
  /** The SPIFFE ID in the certificate's URI SAN. */
  readonly spiffeId: string;
  /** PKCS #8 PEM. Made in the primary; only the workers get it. */
  readonly keyPem: string;
  /** The certificate, then any intermediates, PEM. */
  readonly certChainPem: string;
  /** The roots to verify peers with, PEM. */
  readonly trustBundlePem: string;
  /** The certificate's serial number, hex, uppercase (as node:crypto prints it). */
  readonly serialNumber: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** Subjects of the chain, the workload certificate's first. */
  readonly chainSubjects: readonly string[];
}

/** What GET /certs answers: Envoy's /certs, in Sluice's spelling. */
export interface CertificateSummary {
  readonly identity: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly chain: readonly string[];
}

/** Reads the chain the CA sent; throws when it holds no certificate or the certificate is not for `keyPem`'s key. */
export function workloadIdentity(spiffeId: string, keyPem: string, certChainPem: string, trustBundlePem: string): WorkloadIdentity {
  const chain = (certChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  const leaf = chain[0];
  if (leaf === undefined) throw new Error('the control plane sent no certificate');
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error("the certificate the control plane sent is not for this proxy's key");
  const uri = spiffeUri(leaf.subjectAltName);
  if (uri !== spiffeId) throw new Error(`the certificate names ${uri ?? 'no URI'}, the answer ${spiffeId}`);
  return {
    spiffeId,
    keyPem,
    certChainPem,
    trustBundlePem,
    serialNumber: leaf.serialNumber,
    notBeforeMs: Date.parse(leaf.validFrom),
    notAfterMs: Date.parse(leaf.validTo),
    chainSubjects: chain.map((c) => c.subject.replace(/\n/g, ', ')),
  };
}

export function certificateSummary(identity: WorkloadIdentity): CertificateSummary {
  return {
    identity: identity.spiffeId,
    serial: identity.serialNumber,
    notBefore: new Date(identity.notBeforeMs).toISOString(),
    notAfter: new Date(identity.notAfterMs).toISOString(),
    chain: identity.chainSubjects,
  };
}
