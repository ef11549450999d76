// The inbound listener's mode comes from the most specific PeerAuthentication that selects the proxy
// (service, then namespace, then mesh-wide), UNSET inherits from the next level, PERMISSIVE without
// any, and the first by name among policies of one level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { PeerAuthentication_Mode as Mode, PeerAuthenticationSchema } from '../../../proto/gen/sluice/v1/peer_authentication_pb.js';
import { inboundModeOf } from '../../../data-plane/src/authorization/peer-authentication-mode.js';

const pa = (name: string, mode: Mode, service = '', namespace = '') => create(PeerAuthenticationSchema, { name, mode, selector: { service, namespace } });
const web = { service: 'web', namespace: 'shop' };

test('service beats namespace beats mesh; UNSET inherits; none is PERMISSIVE; first name wins a tie', () => {
  assert.deepEqual(inboundModeOf([], web), { mode: 'PERMISSIVE', policy: '' });
  const mesh = pa('mesh', Mode.DISABLE);
  const ns = pa('shop', Mode.PERMISSIVE, '', 'shop');
  const svc = pa('web', Mode.STRICT, 'web');
  assert.deepEqual(inboundModeOf([mesh], web), { mode: 'DISABLE', policy: 'mesh' });
  assert.deepEqual(inboundModeOf([mesh, ns], web), { mode: 'PERMISSIVE', policy: 'shop' });
  assert.deepEqual(inboundModeOf([svc, mesh, ns], web), { mode: 'STRICT', policy: 'web' });
  assert.deepEqual(inboundModeOf([pa('web-unset', Mode.UNSET, 'web'), mesh, ns], web), { mode: 'PERMISSIVE', policy: 'shop' }, 'UNSET inherits from the namespace');
  assert.deepEqual(inboundModeOf([pa('other', Mode.STRICT, 'api'), pa('other-ns', Mode.STRICT, '', 'jobs')], web), { mode: 'PERMISSIVE', policy: '' }, 'policies for others do not apply');
  assert.deepEqual(inboundModeOf([pa('b', Mode.DISABLE, 'web'), pa('a', Mode.STRICT, 'web')], web), { mode: 'STRICT', policy: 'a' });
  assert.deepEqual(inboundModeOf([pa('both', Mode.STRICT, 'web', 'jobs')], web), { mode: 'PERMISSIVE', policy: '' }, 'both fields must match');
});
