// The JSON form of resources: what etcd stores, the API returns and the CLI prints.
import { toJson, type JsonObject } from '@bufbuild/protobuf';
import { fromJson } from '@bufbuild/protobuf';
import { KIND_INFO, type AnySpec, type Kind, type Resource } from './kinds.js';

/** Placeholder shown where a private key was: keys are write-only. */
export const REDACTED = '[redacted]';

/** The stored form: protobuf JSON of the spec, without the envelope. */
export function specToJson(resource: Resource): JsonObject {
  return toJson(KIND_INFO[resource.kind].schema, resource.spec) as JsonObject;
}

export function specFromJson(kind: Kind, json: unknown): Resource {
  return { kind, spec: fromJson(KIND_INFO[kind].schema, json as JsonObject) as AnySpec } as Resource;
}

/** The API form: `kind`, the spec's fields, `revision`; private keys replaced by a marker. */
export function toApiJson(resource: Resource, revision: number): JsonObject {
  const body = specToJson(resource);
  if (resource.kind === 'Certificate' && typeof body['privateKey'] === 'string') body['privateKey'] = REDACTED;
  return { kind: resource.kind, ...body, revision };
}
