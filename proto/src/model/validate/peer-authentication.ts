// Semantic checks of one PeerAuthentication (the mode's spelling is checked when decoding).
import type { PeerAuthentication } from '../../../gen/sluice/v1/peer_authentication_pb.js';
import type { FieldErrors } from '../field-error.js';
import { validateWorkloadSelector } from './workload-selector.js';

export function validatePeerAuthentication(policy: PeerAuthentication, path: string, errors: FieldErrors): void {
  validateWorkloadSelector(policy.selector, path, errors);
}
