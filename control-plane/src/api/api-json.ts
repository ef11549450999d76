// The JSON bodies the admin API answers with for resources: `kind`, the fields, `revision`, private
// keys redacted (toApiJson).
import type { JsonObject } from '@bufbuild/protobuf';
import type { Kind, Resource } from '../model/kinds.js';
import { toApiJson } from '../model/resource-json.js';
import type { StoredResource } from '../store/store.js';

export interface ResourceList {
  readonly kind: Kind;
  readonly revision: number;
  readonly resources: JsonObject[];
}

export class ApiJson {
  one(stored: StoredResource): JsonObject {
    return toApiJson(stored.resource, stored.revision);
  }

  list(kind: Kind, stored: readonly StoredResource[], revision: number): ResourceList {
    return { kind, revision, resources: stored.map((s) => this.one(s)) };
  }

  written(resource: Resource, revision: number): JsonObject {
    return toApiJson(resource, revision);
  }
}
