// `sluice proxy --bootstrap-token-file`: the primary's CertificateRotator against the control plane's
// IdentityService, each certificate handed on (to the workers, or the in-process runtime). Loaded only
// by a proxy that has a bootstrap token: it brings gRPC and the X.509 library.
import type { BearerToken } from '../../../proto/src/command-line/token-source.js';
import { requestCertificate } from '../identity/certificate-client.js';
import { controlPlaneChannel } from '../identity/control-plane-credentials.js';
import { CertificateRotator } from '../identity/certificate-rotator.js';
import type { WorkloadIdentity } from '../identity/workload-identity.js';
import type { ProxyOptions } from './proxy-options.js';

/** Starts obtaining and renewing the certificate; `deliver` gets each one (undefined once one expired unrenewed). */
export function followWorkloadCertificate(options: ProxyOptions, token: BearerToken, deliver: (identity: WorkloadIdentity | undefined) => void): CertificateRotator {
  const channel = options.controlPlaneCa === undefined ? {} : controlPlaneChannel(options.controlPlaneCa);
  const rotator = new CertificateRotator({ request: (csrPem) => requestCertificate({ addresses: options.controlPlane ?? [], token, ...channel }, csrPem) });
  rotator.on('certificate', (identity) => {
    console.log(`sluice proxy: workload certificate for ${identity.spiffeId}, serial ${identity.serialNumber}, valid until ${new Date(identity.notAfterMs).toISOString()}`);
    deliver(identity);
  });
  rotator.on('failed', (err, retryInMs) => console.error(`sluice proxy: cannot obtain a workload certificate (${err.message}); trying again in ${retryInMs} ms`));
  rotator.on('expired', (identity) => {
    console.error(`sluice proxy: the workload certificate for ${identity.spiffeId} expired before it could be renewed`);
    deliver(undefined);
  });
  rotator.start();
  return rotator;
}
