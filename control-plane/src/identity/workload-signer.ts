// The mesh certificate authority as the rest of the control plane sees it: a CSR in, a workload
// certificate for one SPIFFE ID out.

export interface IssuedCertificate {
  /** The workload certificate, then any intermediates, PEM. */
  readonly certChainPem: string;
  /** Every root proxies must trust now (more than one while a root is rotated), PEM. */
  readonly trustBundlePem: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface WorkloadSigner {
  /**
   * Signs `csrPem` for `spiffeId` (the CSR's own names are ignored); refuses a CSR whose signature fails.
   * `dnsNames`: DNS SANs beside the SPIFFE ID, for the control plane's own serving certificate only.
   */
  sign(csrPem: string, spiffeId: string, ttlSeconds?: number, dnsNames?: readonly string[]): Promise<IssuedCertificate>;
  /** The roots proxies must trust now, PEM. */
  trustBundle(): Promise<string>;
}
