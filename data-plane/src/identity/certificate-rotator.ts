// Keeps the proxy's workload certificate current: obtains one at start, renews it at half its lifetime
// (as Istio's agent and SPIRE do, so a renewal can fail for a long while before the certificate
// expires), retries a failed request with jittered backoff, and keeps the old certificate until its
// own expiry. Each renewal makes a new key pair: a key never outlives its certificate.
import { EventEmitter } from 'node:events';
import { Backoff, type BackoffOptions } from '../discovery/backoff.js';
import { createWorkloadKey } from '../../../proto/src/identity/workload-key.js';
import { workloadIdentity, type WorkloadIdentity } from './workload-identity.js';

/** The control plane's answer to a CSR (IssueCertificateResponse). */
export interface IssuedChain {
  readonly identity: string;
  readonly certChainPem: string;
  readonly trustBundlePem: string;
}

export interface CertificateRotatorOptions {
  /** Sends a CSR to the control plane (certificate-client.ts); rejects when no replica issued one. */
  request(csrPem: string): Promise<IssuedChain>;
  /** Retries after a failure: 1 s doubling up to 60 s by default. */
  readonly backoff?: BackoffOptions;
  /** The share of a certificate's lifetime after which it is renewed (default 0.5). */
  readonly renewAtFraction?: number;
  readonly now?: () => number;
}

export interface CertificateRotatorEvents {
  /** A new certificate is in use. */
  certificate: [identity: WorkloadIdentity];
  /** A request failed; the rotator tries again after `retryInMs`. */
  failed: [error: Error, retryInMs: number];
  /** The certificate expired before a renewal succeeded: the proxy has none now. */
  expired: [identity: WorkloadIdentity];
}

export class CertificateRotator extends EventEmitter<CertificateRotatorEvents> {
  private identity: WorkloadIdentity | undefined;
  private lastErrorText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly now: () => number;

  constructor(private readonly options: CertificateRotatorOptions) {
    super();
    this.backoff = new Backoff({ initialMs: 1000, maxMs: 60_000, ...options.backoff });
    this.now = options.now ?? Date.now;
  }

  /** The certificate in use; undefined before the first one and after one expired unrenewed. */
  get current(): WorkloadIdentity | undefined {
    return this.identity;
  }

  /** Why the last request failed, while no later one succeeded. */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** Requests the first certificate now, and keeps renewing until stop(). */
  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    let next: WorkloadIdentity;
    try {
      const key = await createWorkloadKey();
      const issued = await this.options.request(key.csrPem);
      next = workloadIdentity(issued.identity, key.keyPem, issued.certChainPem, issued.trustBundlePem);
    } catch (err) {
      if (this.stopped) return;
      const error = err instanceof Error ? err : new Error(String(err));
      this.lastErrorText = error.message;
      // Never wait past the current certificate's expiry plus one try: a renewal just before it is worth more.
      let retryInMs = this.backoff.next();
      if (this.identity !== undefined) retryInMs = Math.min(retryInMs, Math.max(1000, this.identity.notAfterMs - this.now()));
      this.emit('failed', error, retryInMs);
      this.schedule(retryInMs);
      return;
    }
    if (this.stopped) return;
    this.backoff.reset();
    this.lastErrorText = undefined;
    this.identity = next;
    this.emit('certificate', next);
    // Measured from now, not from notBefore: the CA backdates notBefore for clock skew, and the
    // lifetime that matters is the one this proxy has left.
    const leftMs = next.notAfterMs - this.now();
    this.schedule(leftMs * (this.options.renewAtFraction ?? 0.5));
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => this.expire(next), Math.max(0, next.notAfterMs - this.now()));
    this.expiryTimer.unref();
  }

  private expire(identity: WorkloadIdentity): void {
    if (this.stopped || this.identity !== identity) return;
    this.identity = undefined;
    this.emit('expired', identity);
  }
}
