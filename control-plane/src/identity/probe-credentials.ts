// The control plane's own workload certificate for its health checks: a sidecar in STRICT mode
// closes plain text, so the elected checker probes mesh endpoints over mutual TLS as the proxies do,
// as spiffe://<trust domain>/control-plane. Issued by this replica's CA with a key made here, renewed
// at half-life, and issued again as soon as the trust bundle changes (a root rotation), so probes of
// sidecars whose certificates come from a new root verify.
import type { Logger } from 'pino';
import { MeshTls, workloadIdentity } from '../../../data-plane/src/index.js';
import { createWorkloadKey } from '../../../proto/src/identity/workload-key.js';
import type { WorkloadSigner } from './workload-signer.js';

/** How often the trust bundle is compared with the one the certificate came with. */
const BUNDLE_CHECK_MS = 10_000;
/** After a failed issuance the next try comes this much later (the current certificate stays). */
const RETRY_MS = 5_000;

export class ProbeCredentials {
  /** Enabled from the start: until the first certificate, mesh endpoints are not probed (checker-targets.ts). */
  readonly meshTls = new MeshTls(true);
  private renewAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly signer: WorkloadSigner, private readonly spiffeId: string, private readonly log: Logger) {}

  /** Issues the first certificate in the background and keeps it current until stop(). */
  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    let next = BUNDLE_CHECK_MS;
    try {
      const held = this.meshTls.identity;
      const due = held === undefined || Date.now() >= this.renewAtMs || (await this.signer.trustBundle()) !== held.trustBundlePem;
      if (due && !this.stopped) await this.issue();
    } catch (err) {
      this.log.warn({ err }, 'health checks: cannot obtain a mesh certificate; mesh endpoints are probed once one is issued');
      next = RETRY_MS;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), Math.min(next, Math.max(1000, this.renewAtMs - Date.now())));
    this.timer.unref();
  }

  private async issue(): Promise<void> {
    const key = await createWorkloadKey(this.spiffeId);
    const issued = await this.signer.sign(key.csrPem, this.spiffeId);
    const identity = workloadIdentity(this.spiffeId, key.keyPem, issued.certChainPem, issued.trustBundlePem);
    this.meshTls.set(identity);
    this.renewAtMs = identity.notBeforeMs + (identity.notAfterMs - identity.notBeforeMs) / 2;
  }
}
