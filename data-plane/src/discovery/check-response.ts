// Turns one DiscoveryResponse into the next configuration, or into the reasons to reject it, with the
// control plane's own model code: the same validation, the same reference checks, the same paths.
// The one check of an update in the proxy: what it accepts is applied as it is, in this process and
// in every worker, so it checks everything the change can break, not only the changed resources.
import type { DiscoveryResponse } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import { fromWireResource } from '../../../proto/src/wire/wire-resource.js';
import { FieldErrors, type FieldError } from '../../../proto/src/model/field-error.js';
import { KINDS, resourcePath, type Kind, type Resource } from '../../../proto/src/model/kinds.js';
import { checkReferences, referrersOf, referringResources } from '../../../proto/src/model/references.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { validateSpec } from '../../../proto/src/model/validate-resource.js';
import { NackCode } from './nack-codes.js';

export type CheckResult =
  | { readonly ok: true; readonly kind: Kind; readonly next: ResourceSet; readonly versions: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly code: NackCode; readonly message: string; readonly errors: FieldError[]; readonly rejected: string[] };

/**
 * Checks every resource of `response` on a copy of `current` and the references of the result.
 * All or nothing: one bad resource rejects the response, and `rejected` names the culprits so the
 * control plane can send the good ones again alone.
 */
export function checkResponse(current: ResourceSet, response: DiscoveryResponse): CheckResult {
  const kind = KINDS.find((k) => k === response.type);
  if (kind === undefined) {
    return { ok: false, code: NackCode.UnknownType, message: `unknown resource type "${response.type}"`, errors: [], rejected: [] };
  }
  const next = current.clone();
  const errors: FieldError[] = [];
  const rejected = new Set<string>();
  const fail = (name: string, list: readonly FieldError[]): void => {
    if (list.length === 0) return;
    errors.push(...list);
    rejected.add(name);
  };
  const versions = new Map<string, string>();
  const puts: Resource[] = [];
  for (const wire of response.resources) {
    const path = resourcePath(kind, wire.name);
    const resource = fromWireResource(wire);
    if (resource?.kind !== kind || resource.spec.name !== wire.name) {
      fail(wire.name, [{ path, message: `expected a ${kind} named "${wire.name}"` }]);
      continue;
    }
    // Certificates whose key this proxy does not need arrive without it (docs/security.md).
    const invalid = validateSpec(resource, path, { keyWithheld: true });
    fail(wire.name, invalid);
    if (invalid.length > 0) continue;
    next.put(resource);
    puts.push(resource);
    versions.set(wire.name, wire.version);
  }
  for (const name of response.removedResources) next.delete(kind, name);
  for (const resource of puts) {
    const found = new FieldErrors();
    checkReferences(resource, next, found);
    // A certificate must hold what its users need (serving needs a chain, verifying a CA bundle):
    // a changed one re-checks them. Other kinds make no such demands of what points at them.
    if (kind === 'Certificate') for (const user of referringResources(kind, resource.spec.name, next)) checkReferences(user, next, found);
    fail(resource.spec.name, found.list);
  }
  for (const name of response.removedResources) {
    fail(name, referrersOf(kind, name, next).map((ref) => ({ path: resourcePath(kind, name), message: `cannot be removed: still referenced by ${ref.path}` })));
  }
  if (errors.length > 0) {
    return { ok: false, code: NackCode.InvalidResource, message: `${rejected.size} of the ${kind} updates rejected`, errors, rejected: [...rejected] };
  }
  return { ok: true, kind, next, versions };
}
