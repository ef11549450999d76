// Adapts MeshProxy.applyResources to the discovery client's `apply(set)` callback, which rejects to
// NACK: the message lists every error with its field path.
import { formatFieldErrors } from '../../../proto/src/model/field-error.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import type { MeshProxy } from './mesh-proxy.js';

export function meshProxyApply(mesh: MeshProxy): (set: ResourceSet) => Promise<void> {
  return async (set) => {
    const result = await mesh.applyResources(set);
    if (!result.ok) throw new Error(formatFieldErrors(result.errors));
  };
}
