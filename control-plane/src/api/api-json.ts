// The JSON bodies the admin API answers with for resources: `kind`, the fields, `revision`, private
// keys redacted (toApiJson). A stored resource's text is built once and kept while the cache holds that
// same entry, so listing 10,000 routes joins strings instead of converting every message again.
import type { JsonObject } from '@bufbuild/protobuf';
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import { toApiJson } from '../../../proto/src/model/resource-json.js';
import type { StoredResource } from '../store/store.js';
import type { ApiResult } from './api-route.js';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' } as const;

export class ApiJson {
  /** Keyed by the cache's entry objects: a changed resource is a new entry, a dropped one is collected. */
  private readonly texts = new WeakMap<StoredResource, string>();

  /** GET /v1/<kind>/<name>. */
  one(stored: StoredResource): ApiResult {
    return { status: 200, body: this.text(stored), headers: JSON_TYPE };
  }

  /** GET /v1/<kind>: `{kind, revision, resources: [...]}`. */
  list(kind: Kind, stored: readonly StoredResource[], revision: number): ApiResult {
    const body = `{"kind":${JSON.stringify(kind)},"revision":${revision},"resources":[${stored.map((s) => this.text(s)).join(',')}]}`;
    return { status: 200, body, headers: JSON_TYPE };
  }

  /** A resource as written by a PUT or an apply, at the revision the write gave it. */
  written(resource: Resource, revision: number): JsonObject {
    return toApiJson(resource, revision);
  }

  private text(stored: StoredResource): string {
    let text = this.texts.get(stored);
    if (text === undefined) {
      text = JSON.stringify(toApiJson(stored.resource, stored.revision));
      this.texts.set(stored, text);
    }
    return text;
  }
}
