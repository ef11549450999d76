// The proxy's call to sluice.v1.IdentityService/IssueCertificate: one unary call with the bootstrap
// token, to one control-plane replica after another until one answers.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { IssueCertificateRequestSchema, type IssueCertificateResponse } from '../../../proto/gen/sluice/v1/identity_pb.js';
import { currentToken, type BearerToken } from '../../../proto/src/command-line/token-source.js';
import { ISSUE_CERTIFICATE_PATH, deserializeIssueResponse, serializeIssueRequest } from '../../../proto/src/wire/identity-service-definition.js';

/** One call's deadline: a replica that does not answer in this time is left for the next one. */
export const ISSUE_DEADLINE_MS = 10_000;

/** Codes that another replica (or a later try) may answer differently; any other refusal is the answer. */
const TRY_ANOTHER = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.INTERNAL, grpc.status.UNKNOWN]);

export interface CertificateClientOptions {
  /** Control-plane discovery addresses, `host:port`. */
  readonly addresses: readonly string[];
  /** A function is called once per certificate request (the token file is read again). */
  readonly token: BearerToken;
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  readonly deadlineMs?: number;
}

/** The call failed with this gRPC status (UNAUTHENTICATED: the token is wrong; INVALID_ARGUMENT: the CSR). */
export class CertificateRequestError extends Error {
  constructor(readonly code: grpc.status, readonly details: string, readonly address: string) {
    super(`${address}: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'CertificateRequestError';
  }
}

export async function requestCertificate(options: CertificateClientOptions, csrPem: string): Promise<IssueCertificateResponse> {
  let last: CertificateRequestError | undefined;
  const token = currentToken(options.token);
  // Start at a random replica so a fleet spreads its requests.
  const start = Math.floor(Math.random() * options.addresses.length);
  for (let i = 0; i < options.addresses.length; i++) {
    const address = options.addresses[(start + i) % options.addresses.length]!;
    try {
      return await callOne(address, token, options, csrPem);
    } catch (err) {
      last = err as CertificateRequestError;
      if (!TRY_ANOTHER.has(last.code)) throw last;
    }
  }
  throw last!;
}

function callOne(address: string, token: string, options: CertificateClientOptions, csrPem: string): Promise<IssueCertificateResponse> {
  const client = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, ...options.channelOptions });
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const request = create(IssueCertificateRequestSchema, { csrPem });
  return new Promise<IssueCertificateResponse>((resolve, reject) => {
    client.makeUnaryRequest(ISSUE_CERTIFICATE_PATH, serializeIssueRequest, deserializeIssueResponse, request, metadata,
      { deadline: Date.now() + (options.deadlineMs ?? ISSUE_DEADLINE_MS) },
      (err, response) => {
        client.close();
        if (err !== null || response === undefined) reject(new CertificateRequestError(err?.code ?? grpc.status.UNKNOWN, err?.details ?? 'no answer', address));
        else resolve(response);
      });
  });
}
