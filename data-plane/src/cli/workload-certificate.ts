// `sluice proxy --bootstrap-token-file`: the primary's CertificateRotator against the control plane's
// IdentityService, each certificate handed on (to the workers, or the in-process runtime), and what
// GET /certs answers about it.
import type { JsonObject } from '@bufbuild/protobuf';
import { tokenFileReader, type BearerToken } from '../../../proto/src/command-line/token-source.js';
import { requestCertificate } from '../identity/certificate-client.js';
import { controlPlaneChannel } from '../identity/control-plane-credentials.js';
import { CertificateRotator } from '../identity/certificate-rotator.js';
import { certificateSummary, type WorkloadIdentity } from '../identity/workload-identity.js';
import type { ProxyOptions } from './proxy-options.js';

/**
 * --bootstrap-token-file (read again at each certificate request: a projected service-account token is
 * rewritten before it expires), else SLUICE_BOOTSTRAP_TOKEN; undefined: the proxy runs without a certificate.
 */
export function bootstrapToken(options: ProxyOptions, env: NodeJS.ProcessEnv = process.env): BearerToken | undefined {
  if (options.bootstrapTokenFile !== undefined) return tokenFileReader(options.bootstrapTokenFile, '--bootstrap-token-file');
  const fromEnv = env['SLUICE_BOOTSTRAP_TOKEN']?.trim();
  return fromEnv === undefined || fromEnv === '' || options.controlPlane === undefined ? undefined : fromEnv;
}

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

/**
 * GET /certs: 200 with the certificate in use (identity, serial, validity, chain subjects, and the
 * serial each worker holds); 503 while there is none yet, with the last error; 404 without a bootstrap token.
 */
export async function certsAnswer(rotator: CertificateRotator | undefined, workerSerials: () => Promise<Array<string | undefined>>): Promise<{ status: number; body: JsonObject }> {
  if (rotator === undefined) return { status: 404, body: { error: 'no workload certificate: start the proxy with --bootstrap-token-file (or SLUICE_BOOTSTRAP_TOKEN)' } };
  const current = rotator.current;
  if (current === undefined) return { status: 503, body: { error: 'no workload certificate yet', ...(rotator.lastError === undefined ? {} : { lastError: rotator.lastError }) } };
  const workers = (await workerSerials()).map((s) => s ?? null);
  return { status: 200, body: { ...certificateSummary(current), chain: [...current.chainSubjects], workers } };
}
