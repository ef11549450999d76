// Adapts MeshProxy to the discovery client's `apply(set)` callback, which rejects to NACK: the message
// lists every error with its field path. The client validated the set already (each update by what it
// changed, a file from disk as a whole), so it is applied without validating it again.
import { formatFieldErrors } from '../../../proto/src/model/field-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import type { MeshProxy } from './mesh-proxy.js';

export function meshProxyApply(mesh: MeshProxy): (set: ResourceSet) => Promise<void> {
  return async (set) => {
    const result = await mesh.applyValidated(set);
    if (!result.ok) throw new Error(formatFieldErrors(result.errors));
  };
}
