// A resource of the model as the discovery protocol's `Resource` message, and back: the kind travels
// as the case of the `body` oneof. Used by the control plane's encoder, the proxy's check of each
// response, and the primary's updates to its workers.
import { create } from '@bufbuild/protobuf';
import { ResourceSchema, type Resource as WireResource } from '../../gen/sluice/v1/discovery_pb.js';
import { KINDS, type Kind, type Resource } from '../model/kinds.js';

/** The `body` oneof case of each kind in the wire `Resource` message. */
export const BODY_CASE = {
  Certificate: 'certificate',
  Cluster: 'cluster',
  Endpoints: 'endpoints',
  Listener: 'listener',
  Route: 'route',
  PeerAuthentication: 'peerAuthentication',
  AuthorizationPolicy: 'authorizationPolicy',
  Sidecar: 'sidecar',
  Telemetry: 'telemetry',
} as const satisfies Record<Kind, WireResource['body']['case'] & string>;

const KIND_OF_CASE = new Map<string, Kind>(KINDS.map((k) => [BODY_CASE[k], k]));

export function toWireResource(resource: Resource, version = ''): WireResource {
  return create(ResourceSchema, { name: resource.spec.name, version, body: { case: BODY_CASE[resource.kind], value: resource.spec } as WireResource['body'] });
}

/** The resource a wire message carries; undefined when its body is of no known kind. */
export function fromWireResource(wire: WireResource): Resource | undefined {
  const kind = wire.body.case === undefined ? undefined : KIND_OF_CASE.get(wire.body.case);
  return kind === undefined ? undefined : ({ kind, spec: wire.body.value } as Resource);
}
