// The discovery port's TLS (--discovery-tls) as grpc-js takes it: a certificate provider fed by the
// control plane's own certificate, so the server's TLS context follows each renewal without a restart.
import type { experimental } from '@grpc/grpc-js';
import type { WorkloadIdentity } from '../../../data-plane/src/index.js';
import type { ControlPlaneCertificate } from './control-plane-certificate.js';

type IdentityListener = experimental.IdentityCertificateUpdateListener;

export class DiscoveryCertificateProvider implements experimental.CertificateProvider {
  private current: { certificate: Buffer; privateKey: Buffer } | undefined;
  private readonly listeners = new Set<IdentityListener>();

  constructor(certificate: ControlPlaneCertificate) {
    certificate.onIssued((identity: WorkloadIdentity) => {
      this.current = { certificate: Buffer.from(identity.certChainPem), privateKey: Buffer.from(identity.keyPem) };
      for (const l of this.listeners) l(this.current);
    });
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.add(listener);
    // Later, not now: grpc-js registers the server's watcher only after this call returns, so an
    // answer given from inside it would reach nobody and the port would refuse every handshake.
    queueMicrotask(() => {
      if (this.current !== undefined && this.listeners.has(listener)) listener(this.current);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.listeners.delete(listener);
  }

  // Proxies are not asked for certificates on the discovery port: no CA certificates to provide.
  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}
}
