// The mesh certificate authority: signs a workload's CSR for one SPIFFE ID, as an X.509-SVID (SPIFFE
// X509-SVID spec §4, §5: exactly one URI SAN, not a CA, digitalSignature; Istio adds keyEncipherment
// and both TLS purposes so the same certificate serves and calls).
import { parseSpiffeId } from '../../../proto/src/identity/spiffe-id.js';
import { certificatesPem, x509 } from '../../../proto/src/identity/x509.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { verifiedCsrKey } from './certificate-request.js';
import { randomSerial } from './root-authority.js';
import { signingAlgorithm, trustBundlePem, type SigningAuthority } from './signing-authority.js';
import type { IssuedCertificate, WorkloadSigner } from './workload-signer.js';

/** 24 hours, Istio's default workload certificate TTL. */
export const DEFAULT_WORKLOAD_CERT_TTL_SECONDS = 24 * 3600;

/** Certificates start this long before they are issued: a peer whose clock runs behind still accepts them. */
const BACKDATE_MS = 60_000;

export interface MeshCaOptions {
  /** The authority to sign with now; rejects with SLUICE_STORE_UNAVAILABLE while it cannot be read. */
  authority(): Promise<SigningAuthority>;
  /** When `sign` is given no TTL (default DEFAULT_WORKLOAD_CERT_TTL_SECONDS). */
  readonly defaultTtlSeconds?: number;
  readonly now?: () => number;
}

export class MeshCa implements WorkloadSigner {
  private readonly defaultTtlSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: MeshCaOptions) {
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? DEFAULT_WORKLOAD_CERT_TTL_SECONDS;
    this.now = options.now ?? Date.now;
  }

  async sign(csrPem: string, spiffeId: string, ttlSeconds = this.defaultTtlSeconds, dnsNames: readonly string[] = []): Promise<IssuedCertificate> {
    const id = parseSpiffeId(spiffeId);
    if (id === undefined) throw new ControlPlaneError(ErrorCode.Internal, `cannot sign for ${JSON.stringify(spiffeId)}: not a SPIFFE ID`);
    const publicKey = await verifiedCsrKey(csrPem);
    const authority = await this.options.authority();
    const now = this.now();
    const notBefore = new Date(now - BACKDATE_MS);
    // Never past the signer's own end: a chain is only as valid as its shortest link.
    const notAfter = new Date(Math.min(now + ttlSeconds * 1000, authority.signer.notAfter.getTime()));
    const ski = authority.signer.getExtension(x509.SubjectKeyIdentifierExtension);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `O=${id.trustDomain}`,
      issuer: authority.signer.subject,
      notBefore,
      notAfter,
      signingAlgorithm: signingAlgorithm(authority.signingKey),
      publicKey,
      signingKey: authority.signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        // DNS names beside the one URI SAN (X.509-SVID §2 allows other SAN types): only the control
        // plane's own certificate asks for them, for clients that verify a host name (the API server
        // calling the injection webhook). Workload CSRs never choose them.
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: id.uri }, ...dnsNames.map((value) => ({ type: 'dns' as const, value }))]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        ...(ski === null ? [] : [new x509.AuthorityKeyIdentifierExtension(ski.keyId)]),
      ],
    });
    return {
      certChainPem: certificatesPem([cert, ...this.chainAbove(authority)]),
      trustBundlePem: trustBundlePem(authority),
      serialNumber: cert.serialNumber,
      notBefore,
      notAfter,
    };
  }

  async trustBundle(): Promise<string> {
    return trustBundlePem(await this.options.authority());
  }

  /** The certificates sent after the leaf: the signer unless it is a root, then the intermediates. */
  private chainAbove(authority: SigningAuthority): x509.X509Certificate[] {
    const signerIsRoot = authority.roots.some((r) => r.serialNumber === authority.signer.serialNumber && r.subject === authority.signer.subject);
    return signerIsRoot ? [] : [authority.signer, ...authority.intermediates];
  }
}
