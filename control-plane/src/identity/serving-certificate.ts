// The control plane's certificate on the discovery port (--discovery-tls): issued by its own mesh CA
// for spiffe://<trust domain>/control-plane, with a key made in this process, renewed at half-life,
// and handed to grpc-js as a certificate provider so the server's TLS context follows each renewal
// without a restart.
import type { experimental } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { createWorkloadKey } from '../../../proto/src/identity/workload-key.js';
import type { WorkloadSigner } from './workload-signer.js';

type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** After a failed renewal the next try comes this much later (the current certificate stays in use). */
const RETRY_MS = 5_000;

export class ServingCertificate implements experimental.CertificateProvider {
  private current: { certificate: Buffer; privateKey: Buffer; serialNumber: string; notAfterMs: number } | undefined;
  private readonly listeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly signer: WorkloadSigner, private readonly spiffeId: string, private readonly log: Logger) {}

  /** The serial of the certificate served now. */
  get serialNumber(): string | undefined {
    return this.current?.serialNumber;
  }

  /** Obtains the first certificate (rejects when the CA cannot sign), then renews until stop(). */
  async start(): Promise<void> {
    await this.renew();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.add(listener);
    // Later, not now: grpc-js registers the server's watcher only after this call returns, so an
    // answer given from inside it would reach nobody and the port would refuse every handshake.
    queueMicrotask(() => {
      if (this.current !== undefined && this.listeners.has(listener)) listener({ certificate: this.current.certificate, privateKey: this.current.privateKey });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.delete(listener);
  }

  // Proxies are not asked for certificates on the discovery port: no CA certificates to provide.
  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}

  private async renew(): Promise<void> {
    const key = await createWorkloadKey(this.spiffeId);
    const issued = await this.signer.sign(key.csrPem, this.spiffeId);
    if (this.stopped) return;
    this.current = { certificate: Buffer.from(issued.certChainPem), privateKey: Buffer.from(key.keyPem), serialNumber: issued.serialNumber, notAfterMs: issued.notAfter.getTime() };
    this.log.info({ identity: this.spiffeId, serial: issued.serialNumber, notAfter: issued.notAfter.toISOString() }, 'discovery port: serving a certificate from the mesh CA');
    for (const l of this.listeners) l({ certificate: this.current.certificate, privateKey: this.current.privateKey });
    this.schedule((this.current.notAfterMs - Date.now()) / 2);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.renew().catch((err: unknown) => {
        this.log.warn({ err }, 'discovery port: cannot renew the serving certificate; trying again');
        const left = (this.current?.notAfterMs ?? 0) - Date.now();
        this.schedule(Math.max(1000, Math.min(RETRY_MS, left / 2)));
      });
    }, Math.max(0, delayMs));
    this.timer.unref();
  }
}
