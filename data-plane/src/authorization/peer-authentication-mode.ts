// Which mutual-TLS mode this proxy's inbound listener enforces, from the PeerAuthentication resources,
// with Istio's precedence: a policy selecting the proxy's service beats one selecting only its
// namespace, which beats a mesh-wide one (empty selector); UNSET inherits from the next less specific
// level; with none at all, PERMISSIVE. Among policies of the same level the first by name decides, so
// every proxy reads the same answer from the same resources.
import type { PeerAuthentication } from '../../../proto/gen/sluice/v1/peer_authentication_pb.js';
import type { Workload } from './authorizer.js';
import { selectorLevel } from '../../../proto/src/model/selects-workload.js';
import { PeerAuthenticationMode } from '../../../proto/src/model/enums.js';

export type InboundMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

export const DEFAULT_INBOUND_MODE: InboundMode = 'PERMISSIVE';

export function inboundModeOf(policies: Iterable<PeerAuthentication>, workload: Workload): { mode: InboundMode; policy: string } {
  const byLevel: (PeerAuthentication | undefined)[] = [undefined, undefined, undefined];
  for (const p of policies) {
    const level = selectorLevel(p.selector, workload);
    if (level < 0 || p.mode === PeerAuthenticationMode.UNSET) continue;
    const held = byLevel[level];
    if (held === undefined || p.name < held.name) byLevel[level] = p;
  }
  for (let level = 2; level >= 0; level--) {
    const p = byLevel[level];
    if (p !== undefined) return { mode: modeName(p.mode), policy: p.name };
  }
  return { mode: DEFAULT_INBOUND_MODE, policy: '' };
}

function modeName(mode: PeerAuthenticationMode): InboundMode {
  switch (mode) {
    case PeerAuthenticationMode.STRICT:
      return 'STRICT';
    case PeerAuthenticationMode.DISABLE:
      return 'DISABLE';
    default:
      return 'PERMISSIVE';
  }
}
