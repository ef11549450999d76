// sluice.v1.IdentityService written out for @grpc/grpc-js with the bufbuild messages: the control plane
// serves it on the discovery port, proxies call it for their workload certificate.
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  IssueCertificateRequestSchema,
  IssueCertificateResponseSchema,
  type IssueCertificateRequest,
  type IssueCertificateResponse,
} from '../../gen/sluice/v1/identity_pb.js';
import { deserializer, serializer } from './protobuf-codec.js';

export const ISSUE_CERTIFICATE_PATH = '/sluice.v1.IdentityService/IssueCertificate';

/** A CSR for a P-256 or RSA key is about 1 KiB: anything far larger is refused before it is parsed. */
export const MAX_CSR_PEM_BYTES = 16 * 1024;

export const serializeIssueRequest: (m: IssueCertificateRequest) => Buffer = serializer(IssueCertificateRequestSchema);
export const deserializeIssueRequest: (b: Buffer) => IssueCertificateRequest = deserializer(IssueCertificateRequestSchema);
export const serializeIssueResponse: (m: IssueCertificateResponse) => Buffer = serializer(IssueCertificateResponseSchema);
export const deserializeIssueResponse: (b: Buffer) => IssueCertificateResponse = deserializer(IssueCertificateResponseSchema);

export const identityServiceDefinition: ServiceDefinition = {
  IssueCertificate: {
    path: ISSUE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: serializeIssueRequest,
    requestDeserialize: deserializeIssueRequest,
    responseSerialize: serializeIssueResponse,
    responseDeserialize: deserializeIssueResponse,
  },
};
