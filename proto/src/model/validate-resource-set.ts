// Validates a whole configuration at once: every resource's fields, then every reference against the
// set. For a configuration that arrives whole from outside (a library user's set, a file read back
// from disk); an update of a few resources is checked by what changed instead (checkChangeSet).
import { FieldErrors, type FieldError } from './field-error.js';
import { checkReferences } from './references.js';
import type { ResourceView } from './resource-set.js';
import { validateSpec, type SpecCheckOptions } from './validate-resource.js';

export function validateResourceSet(set: ResourceView, options: SpecCheckOptions = {}): FieldError[] {
  const errors = new FieldErrors();
  for (const resource of set.all()) {
    for (const e of validateSpec(resource, undefined, options)) errors.add(e.path, e.message);
    checkReferences(resource, set, errors);
  }
  return errors.list;
}
