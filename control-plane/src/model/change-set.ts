// Validates a batch of writes against the current resources: the rule that nothing is stored which
// references something missing, and nothing is deleted while something still references it.
import { FieldErrors, type FieldError } from './field-error.js';
import { resourcePath, type Kind, type Resource } from './kinds.js';
import { checkReferences, referrersOf } from './references.js';
import type { ResourceSet } from './resource-set.js';

export interface ResourceKey {
  readonly kind: Kind;
  readonly name: string;
}

export interface ChangeSet {
  readonly puts: readonly Resource[];
  readonly deletes: readonly ResourceKey[];
}

export interface ChangeCheck {
  /** The resources as they would be after the change. */
  readonly after: ResourceSet;
  /** Reference errors of the puts (status 400). */
  readonly invalid: FieldError[];
  /** Deletes that something still references (status 409), each naming the referrer. */
  readonly referenced: FieldError[];
}

export function checkChangeSet(current: ResourceSet, change: ChangeSet): ChangeCheck {
  const after = current.clone();
  for (const d of change.deletes) after.delete(d.kind, d.name);
  for (const p of change.puts) after.put(p);

  const invalid = new FieldErrors();
  for (const p of change.puts) checkReferences(p, after, invalid);

  const referenced = new FieldErrors();
  for (const d of change.deletes) {
    if (after.has(d.kind, d.name)) continue;
    for (const ref of referrersOf(d.kind, d.name, after)) {
      referenced.add(resourcePath(d.kind, d.name), `still referenced by ${ref.path}`);
    }
  }
  return { after, invalid: invalid.list, referenced: referenced.list };
}
