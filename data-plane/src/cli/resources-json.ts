// Resources as plain JSON documents ({kind, ...fields}) for the admin server's /config_dump.
import type { JsonObject } from '@bufbuild/protobuf';
import { REDACTED, specToJson } from '../../../proto/src/model/resource-json.js';
import type { ResourceSet } from '../../../proto/src/model/resource-set.js';

export function resourcesToJson(set: ResourceSet, redact = false): JsonObject[] {
  const out: JsonObject[] = [];
  for (const r of set.all()) {
    const body = specToJson(r);
    if (redact && r.kind === 'Certificate' && typeof body['privateKey'] === 'string') body['privateKey'] = REDACTED;
    out.push({ kind: r.kind, ...body });
  }
  return out;
}
