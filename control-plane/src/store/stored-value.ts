// The value stored in etcd for a resource: its protobuf JSON (readable with `etcdctl get`), decoded back
// with the key as the authority on kind and name.
import { specFromJson, specToJson } from '../../../proto/src/model/resource-json.js';
import type { Resource } from '../../../proto/src/model/kinds.js';
import { parseResourceKey } from './keys.js';

export function toStoredValue(resource: Resource): string {
  return JSON.stringify(specToJson(resource));
}

export type StoredValue = { readonly ok: true; readonly resource: Resource } | { readonly ok: false; readonly reason: string };

/**
 * A value written by hand (`etcdctl put`) may be anything: such a value reads as "no resource" and
 * the caller logs the reason, so one bad key cannot stop the control plane from listing.
 */
export function fromStoredValue(key: string, value: string): StoredValue {
  const parsed = parseResourceKey(key);
  if (parsed === undefined) return { ok: false, reason: 'key outside the /sluice/v1/<kind>/<name> layout' };
  let resource: Resource;
  try {
    resource = specFromJson(parsed.kind, JSON.parse(value));
  } catch (err) {
    return { ok: false, reason: `value is not a ${parsed.kind} in protobuf JSON: ${(err as Error).message}` };
  }
  if (resource.spec.name !== parsed.name) {
    return { ok: false, reason: `value names "${resource.spec.name}", key names "${parsed.name}"` };
  }
  return { ok: true, resource };
}
