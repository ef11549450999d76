// Each resource kind's protobuf schema: what JSON, YAML and the wire decode a resource's spec with.
import type { DescMessage } from '@bufbuild/protobuf';
import { AuthorizationPolicySchema } from '../../gen/sluice/v1/authorization_policy_pb.js';
import { CertificateSchema } from '../../gen/sluice/v1/certificate_pb.js';
import { ClusterSchema } from '../../gen/sluice/v1/cluster_pb.js';
import { EndpointsSchema } from '../../gen/sluice/v1/endpoints_pb.js';
import { ListenerSchema } from '../../gen/sluice/v1/listener_pb.js';
import { PeerAuthenticationSchema } from '../../gen/sluice/v1/peer_authentication_pb.js';
import { RouteSchema } from '../../gen/sluice/v1/route_pb.js';
import { SidecarSchema } from '../../gen/sluice/v1/sidecar_pb.js';
import { TelemetrySchema } from '../../gen/sluice/v1/telemetry_pb.js';
import type { Kind } from './kinds.js';

export const KIND_SCHEMAS: Readonly<Record<Kind, DescMessage>> = {
  Certificate: CertificateSchema,
  Cluster: ClusterSchema,
  Endpoints: EndpointsSchema,
  Route: RouteSchema,
  Listener: ListenerSchema,
  PeerAuthentication: PeerAuthenticationSchema,
  AuthorizationPolicy: AuthorizationPolicySchema,
  Sidecar: SidecarSchema,
  Telemetry: TelemetrySchema,
};
