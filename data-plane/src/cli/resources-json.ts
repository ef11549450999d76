// Resources as plain JSON documents ({kind, ...fields}) for the worker channel and config dumps.
import type { JsonObject } from '@bufbuild/protobuf';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { REDACTED, specToJson } from '../../../proto/src/model/resource-json.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { parseResource } from '../../../proto/src/model/validate-resource.js';

export function resourcesToJson(set: ResourceSet, redact = false): JsonObject[] {
  const out: JsonObject[] = [];
  for (const r of set.all()) {
    const body = specToJson(r);
    if (redact && r.kind === 'Certificate' && typeof body['privateKey'] === 'string') body['privateKey'] = REDACTED;
    out.push({ kind: r.kind, ...body });
  }
  return out;
}

export function resourcesFromJson(docs: readonly unknown[]): { ok: true; set: ResourceSet } | { ok: false; errors: FieldError[] } {
  const set = new ResourceSet();
  const errors: FieldError[] = [];
  docs.forEach((doc, i) => {
    const r = parseResource(doc, `resources[${i}]`);
    if (r.ok) set.put(r.resource);
    else errors.push(...r.errors);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, set };
}
