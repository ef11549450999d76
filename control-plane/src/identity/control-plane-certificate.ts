// The control plane's own workload certificate, spiffe://<trust domain>/control-plane, from its own
// mesh CA with a key made in this process. One certificate serves three uses: the discovery port's TLS
// (--discovery-tls, through DiscoveryCertificateProvider), the health checker's mutual TLS to
// sidecars (a sidecar in STRICT mode closes plain text), and the injection webhook's HTTPS port
// (--webhook-listen), for which it also names the Service's DNS names (--webhook-dns-names). Renewed at half-life, and issued again as
// soon as the trust bundle changes (a root rotation), so both proxies and probed sidecars that trust
// only a new root verify it.
import type { Logger } from 'pino';
import { MeshTls, workloadIdentity, type WorkloadIdentity } from '../../../data-plane/src/index.js';
import { createWorkloadKey } from '../../../proto/src/identity/workload-key.js';
import type { WorkloadSigner } from './workload-signer.js';

/** How often the trust bundle is compared with the one the certificate came with. */
const BUNDLE_CHECK_MS = 10_000;
/** After a failed issuance the next try comes this much later (the current certificate stays). */
const RETRY_MS = 5_000;

export class ControlPlaneCertificate {
  /**
   * The certificate as the proxy's own TLS code takes it. Enabled from the start: until the first
   * certificate arrives, mesh endpoints are not probed (checker-targets.ts).
   */
  readonly meshTls = new MeshTls(true);
  private held: WorkloadIdentity | undefined;
  private readonly listeners = new Set<(identity: WorkloadIdentity) => void>();
  private renewAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `dnsNames`: DNS SANs beside the SPIFFE ID (the webhook Service's names); none by default. */
  constructor(private readonly signer: WorkloadSigner, private readonly spiffeId: string, private readonly log: Logger, private readonly dnsNames: readonly string[] = []) {}

  get current(): WorkloadIdentity | undefined {
    return this.held;
  }

  /** Called with every certificate issued from now on (and at once with the current one, if any). */
  onIssued(listener: (identity: WorkloadIdentity) => void): () => void {
    this.listeners.add(listener);
    if (this.held !== undefined) listener(this.held);
    return () => this.listeners.delete(listener);
  }

  /** Obtains the first certificate (rejects when the CA cannot sign), then keeps it current until stop(). */
  async start(): Promise<void> {
    await this.issue();
    this.schedule(BUNDLE_CHECK_MS);
  }

  /** As start(), without waiting: a failed first issuance is retried, and logged. */
  startInBackground(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    let next = BUNDLE_CHECK_MS;
    try {
      const held = this.held;
      const due = held === undefined || Date.now() >= this.renewAtMs || (await this.signer.trustBundle()) !== held.trustBundlePem;
      if (due && !this.stopped) await this.issue();
    } catch (err) {
      this.log.warn({ err, identity: this.spiffeId }, 'cannot obtain or renew the control plane\'s certificate; the current one stays in use, trying again');
      next = RETRY_MS;
    }
    this.schedule(next);
  }

  private schedule(nextCheckMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.min(nextCheckMs, Math.max(1000, this.renewAtMs - Date.now())));
    this.timer.unref();
  }

  private async issue(): Promise<void> {
    const key = await createWorkloadKey(this.spiffeId);
    const issued = await this.signer.sign(key.csrPem, this.spiffeId, undefined, this.dnsNames);
    if (this.stopped) return;
    const identity = workloadIdentity(this.spiffeId, key.keyPem, issued.certChainPem, issued.trustBundlePem);
    this.held = identity;
    this.meshTls.set(identity);
    this.renewAtMs = identity.notBeforeMs + (identity.notAfterMs - identity.notBeforeMs) / 2;
    this.log.info({ identity: this.spiffeId, serial: issued.serialNumber, notAfter: issued.notAfter.toISOString() }, 'the control plane holds a certificate from the mesh CA');
    for (const l of this.listeners) l(this.held);
  }
}
