// Set-up shared by the identity tests: a control plane with discovery on port 0 (so IdentityService is
// served), a bootstrap token from its admin API, CSRs and the certificate fields the tests check.
import { X509Certificate } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { ControlPlaneOptions } from '../../../control-plane/src/control-plane.js';
import { CertificateRequestError, requestCertificate } from '../../../data-plane/src/identity/certificate-client.js';
import { createWorkloadKey } from '../../../proto/src/identity/workload-key.js';
import type { IssueCertificateResponse } from '../../../proto/gen/sluice/v1/identity_pb.js';
import { TestApi, type StoreChoice } from '../../support/api-harness.js';

export { status };

export async function startIdentityApi(store: StoreChoice = { kind: 'embedded' }, options: Partial<ControlPlaneOptions> = {}): Promise<TestApi> {
  return await TestApi.start(store, { discoveryListen: { host: '127.0.0.1', port: 0 }, ...options });
}

export function discoveryAddress(api: TestApi): string {
  return api.controlPlane.discovery!.address;
}

/** POST /v1/tokens; the token itself. */
export async function createToken(api: TestApi, service: string, ttlSeconds?: number): Promise<string> {
  const res = await api.request('POST', '/v1/tokens', { body: { service, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) } });
  if (res.status !== 201) throw new Error(`POST /v1/tokens answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** A fresh key and CSR (asking for `asks` when given), sent with `token`. */
export async function issue(api: TestApi, token: string, asks?: string): Promise<IssueCertificateResponse & { keyPem: string }> {
  const key = await createWorkloadKey(asks);
  const response = await requestCertificate({ addresses: [discoveryAddress(api)], token }, key.csrPem);
  return Object.assign(response, { keyPem: key.keyPem });
}

/** The gRPC status code and details a call fails with (throws when it succeeds). */
export async function refusal(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof CertificateRequestError) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('the call succeeded');
}

/** Every certificate in a PEM text (node:crypto's view, independent of the library that made them). */
export function certificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}
