// The protobuf enums that domain code compares against and assigns, as plain objects with the
// generated values. Importing an enum from a generated `_pb.js` file loads the protobuf runtime and
// the file descriptors with it (about 5 MiB of memory per process); a proxy worker receives decoded
// resources from its primary and needs neither, so code that runs in workers takes its enums from
// here. Each object has the same members, values and reverse (value → name) entries as the generated
// enum, and the same type: test/model/enums.test.ts compares them one by one.
import type { AuthorizationPolicy_Action as WireAuthorizationPolicyAction } from '../../gen/sluice/v1/authorization_policy_pb.js';
import type { LoadBalancing as WireLoadBalancing, UpstreamProtocol as WireUpstreamProtocol } from '../../gen/sluice/v1/cluster_pb.js';
import type { Health as WireHealth } from '../../gen/sluice/v1/endpoints_pb.js';
import type { ClientCertificatePolicy as WireClientCertificatePolicy, ListenerProtocol as WireListenerProtocol, TlsVersion as WireTlsVersion } from '../../gen/sluice/v1/listener_pb.js';
import type { PeerAuthentication_Mode as WirePeerAuthenticationMode } from '../../gen/sluice/v1/peer_authentication_pb.js';
import type { RetryOn as WireRetryOn } from '../../gen/sluice/v1/route_pb.js';

/** The enum object TypeScript would emit for `members`: each name → value, and each value → name. */
function enumOf<E>(members: { readonly [K in keyof E]: number }): E {
  const object: Record<string | number, string | number> = {};
  for (const [name, value] of Object.entries(members) as [string, number][]) {
    object[name] = value;
    object[value] = name;
  }
  return object as E;
}

export const Health = enumOf<typeof WireHealth>({ UNKNOWN: 0, HEALTHY: 1, UNHEALTHY: 2, DRAINING: 3 });
export type Health = WireHealth;

export const LoadBalancing = enumOf<typeof WireLoadBalancing>({ ROUND_ROBIN: 0, LEAST_REQUEST: 1, RANDOM: 2, RING_HASH: 3, MAGLEV: 4 });
export type LoadBalancing = WireLoadBalancing;

export const UpstreamProtocol = enumOf<typeof WireUpstreamProtocol>({ HTTP1: 0, H2: 1, H2C: 2, AUTO: 3 });
export type UpstreamProtocol = WireUpstreamProtocol;

export const ListenerProtocol = enumOf<typeof WireListenerProtocol>({ HTTP: 0, HTTPS: 1, TCP: 2 });
export type ListenerProtocol = WireListenerProtocol;

export const ClientCertificatePolicy = enumOf<typeof WireClientCertificatePolicy>({ NONE: 0, REQUEST: 1, REQUIRE: 2 });
export type ClientCertificatePolicy = WireClientCertificatePolicy;

export const TlsVersion = enumOf<typeof WireTlsVersion>({ TLS1_2: 0, TLS1_3: 1 });
export type TlsVersion = WireTlsVersion;

export const PeerAuthenticationMode = enumOf<typeof WirePeerAuthenticationMode>({ UNSET: 0, DISABLE: 1, PERMISSIVE: 2, STRICT: 3 });
export type PeerAuthenticationMode = WirePeerAuthenticationMode;

export const AuthorizationPolicyAction = enumOf<typeof WireAuthorizationPolicyAction>({ ALLOW: 0, DENY: 1 });
export type AuthorizationPolicyAction = WireAuthorizationPolicyAction;

export const RetryOn = enumOf<typeof WireRetryOn>({
  RETRY_ON_UNSPECIFIED: 0,
  CONNECT_FAILURE: 1,
  RESET: 2,
  GATEWAY_ERROR: 3,
  SERVER_ERROR: 4,
  REFUSED_STREAM: 5,
});
export type RetryOn = WireRetryOn;
