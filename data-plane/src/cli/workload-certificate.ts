// `sluice proxy --bootstrap-token-file`: where the token comes from, and what GET /certs answers about
// the certificate (follow-workload-certificate.ts obtains and renews it).
import type { JsonObject } from '@bufbuild/protobuf';
import { tokenFileReader, type BearerToken } from '../../../proto/src/command-line/token-source.js';
import type { CertificateRotator } from '../identity/certificate-rotator.js';
import { certificateSummary } from '../identity/workload-identity.js';
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
