// Certificate issuance metrics: certificates signed, and requests refused by reason.
import { Counter, type Registry } from 'prom-client';

export type RefusalReason = 'unauthenticated' | 'bad_csr' | 'unavailable' | 'internal';

export class IdentityMetrics {
  private readonly issued: Counter;
  private readonly refused: Counter<'reason'>;

  constructor(registry: Registry | undefined) {
    const registers = registry === undefined ? [] : [registry];
    this.issued = new Counter({
      name: 'sluice_certificates_issued_total',
      help: 'Workload certificates this replica signed (IdentityService/IssueCertificate).',
      registers,
    });
    this.refused = new Counter({
      name: 'sluice_certificate_requests_refused_total',
      help: 'Certificate requests refused, by reason: unauthenticated, bad_csr, unavailable, internal.',
      labelNames: ['reason'],
      registers,
    });
  }

  issuedOne(): void {
    this.issued.inc();
  }

  refusedOne(reason: RefusalReason): void {
    this.refused.inc({ reason });
  }
}
