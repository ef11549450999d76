// The domain's enum objects (proto/src/model/enums.ts) hold exactly the generated enums' members,
// values and reverse entries: a value added to or renumbered in a .proto file fails here until the
// mirror follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as domain from '../../proto/src/model/enums.js';
import { AuthorizationPolicy_Action } from '../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { LoadBalancing, UpstreamProtocol } from '../../proto/gen/sluice/v1/cluster_pb.js';
import { Health } from '../../proto/gen/sluice/v1/endpoints_pb.js';
import { ClientCertificatePolicy, ListenerProtocol, TlsVersion } from '../../proto/gen/sluice/v1/listener_pb.js';
import { PeerAuthentication_Mode } from '../../proto/gen/sluice/v1/peer_authentication_pb.js';
import { RetryOn } from '../../proto/gen/sluice/v1/route_pb.js';

const GENERATED: Record<keyof typeof domain, object> = {
  Health,
  LoadBalancing,
  UpstreamProtocol,
  ListenerProtocol,
  ClientCertificatePolicy,
  TlsVersion,
  PeerAuthenticationMode: PeerAuthentication_Mode,
  AuthorizationPolicyAction: AuthorizationPolicy_Action,
  RetryOn,
};

test('each domain enum equals its generated enum, member for member and value for value', () => {
  for (const [name, generated] of Object.entries(GENERATED)) {
    assert.deepStrictEqual({ ...domain[name as keyof typeof domain] }, { ...generated }, name);
  }
});
