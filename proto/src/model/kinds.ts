// The resource kinds and the names users spell them with. Their protobuf schemas are in
// kind-schemas.ts: code that only handles decoded resources (a proxy worker) does not load protobuf.
import type { AuthorizationPolicy } from '../../gen/sluice/v1/authorization_policy_pb.js';
import type { Certificate } from '../../gen/sluice/v1/certificate_pb.js';
import type { Cluster } from '../../gen/sluice/v1/cluster_pb.js';
import type { Endpoints } from '../../gen/sluice/v1/endpoints_pb.js';
import type { Listener } from '../../gen/sluice/v1/listener_pb.js';
import type { PeerAuthentication } from '../../gen/sluice/v1/peer_authentication_pb.js';
import type { Route } from '../../gen/sluice/v1/route_pb.js';
import type { Sidecar } from '../../gen/sluice/v1/sidecar_pb.js';
import type { Telemetry } from '../../gen/sluice/v1/telemetry_pb.js';

/**
 * In make-before-break order: a kind is only referenced by kinds after it. The two policy kinds
 * reference nothing and come before the listeners and routes that open traffic, so a proxy holds the
 * policies that guard a new listener or route before it serves it. Sidecar (declared dependencies)
 * references nothing and is never sent to proxies: it only decides what they receive.
 */
export const KINDS = ['Certificate', 'Cluster', 'Endpoints', 'PeerAuthentication', 'AuthorizationPolicy', 'Telemetry', 'Sidecar', 'Listener', 'Route'] as const;
export type Kind = (typeof KINDS)[number];

export interface SpecOf {
  Certificate: Certificate;
  Cluster: Cluster;
  Endpoints: Endpoints;
  Route: Route;
  Listener: Listener;
  PeerAuthentication: PeerAuthentication;
  AuthorizationPolicy: AuthorizationPolicy;
  Sidecar: Sidecar;
  Telemetry: Telemetry;
}
export type AnySpec = SpecOf[Kind];

/** A resource as the control plane handles it: its kind, its name and its decoded message. */
export type Resource<K extends Kind = Kind> = K extends Kind ? { readonly kind: K; readonly spec: SpecOf[K] } : never;

interface KindInfo {
  readonly kind: Kind;
  /** URL segment and path prefix: `/v1/routes`, `routes[web]`. */
  readonly plural: string;
}

export const KIND_INFO: Readonly<Record<Kind, KindInfo>> = {
  Certificate: { kind: 'Certificate', plural: 'certificates' },
  Cluster: { kind: 'Cluster', plural: 'clusters' },
  Endpoints: { kind: 'Endpoints', plural: 'endpoints' },
  Route: { kind: 'Route', plural: 'routes' },
  Listener: { kind: 'Listener', plural: 'listeners' },
  PeerAuthentication: { kind: 'PeerAuthentication', plural: 'peerauthentications' },
  AuthorizationPolicy: { kind: 'AuthorizationPolicy', plural: 'authorizationpolicies' },
  Sidecar: { kind: 'Sidecar', plural: 'sidecars' },
  Telemetry: { kind: 'Telemetry', plural: 'telemetries' },
};

const BY_SPELLING = new Map<string, Kind>();
for (const kind of KINDS) {
  const { plural } = KIND_INFO[kind];
  for (const spelling of [kind, plural, kind.replace(/s$/, '')]) BY_SPELLING.set(spelling.toLowerCase(), kind);
}

/** `Route`, `route`, `routes` → `Route`; undefined for anything else. */
export function parseKind(spelling: string): Kind | undefined {
  return BY_SPELLING.get(spelling.toLowerCase());
}

/** The path of a resource in error messages: `routes[web]`. */
export function resourcePath(kind: Kind, name: string): string {
  return `${KIND_INFO[kind].plural}[${name}]`;
}

export function kindOrder(kind: Kind): number {
  return KINDS.indexOf(kind);
}
