// The JSON form of resources: what etcd stores, the API returns and the CLI prints.
import { toJson, type JsonObject } from '@bufbuild/protobuf';
import { fromJson } from '@bufbuild/protobuf';
import type { AnySpec, Kind, Resource } from './kinds.js';
import { KIND_SCHEMAS } from './kind-schemas.js';

/** Placeholder shown where a private key was: keys are write-only. */
export const REDACTED = '[redacted]';

/** The stored form: protobuf JSON of the spec, without the envelope. */
export function specToJson(resource: Resource): JsonObject {
  return toJson(KIND_SCHEMAS[resource.kind], resource.spec) as JsonObject;
}

export function specFromJson(kind: Kind, json: unknown): Resource {
  return { kind, spec: fromJson(KIND_SCHEMAS[kind], json as JsonObject) as AnySpec } as Resource;
}

/** The API form: `kind`, the spec's fields, `revision`; private keys replaced by a marker. */
export function toApiJson(resource: Resource, revision: number): JsonObject {
  const body = specToJson(resource);
  if (resource.kind === 'Certificate' && typeof body['privateKey'] === 'string') body['privateKey'] = REDACTED;
  return { kind: resource.kind, ...body, revision };
}
