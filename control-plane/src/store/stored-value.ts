// The value stored in etcd for a resource: its protobuf JSON (readable with `etcdctl get`), decoded back
// with the key as the authority on kind and name. A Certificate's private key is sealed on the way in
// and opened on the way out (identity/aes-gcm-sealer.ts), so only ciphertext rests in the store.
import { specFromJson, specToJson } from '../../../proto/src/model/resource-json.js';
import { resourcePath, type Resource } from '../../../proto/src/model/kinds.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { SecretSealer } from '../identity/secret-sealer.js';
import { parseResourceKey } from './keys.js';

/** The JSON field of the one secret a resource holds. */
const PRIVATE_KEY = 'privateKey';

export function toStoredValue(resource: Resource, sealer: SecretSealer): string {
  const json = specToJson(resource);
  const secret = json[PRIVATE_KEY];
  if (resource.kind === 'Certificate' && typeof secret === 'string' && secret !== '') json[PRIVATE_KEY] = sealer.seal(secret);
  return JSON.stringify(json);
}

/**
 * The resource's content as text, secrets in the clear: equal content, equal text (a sealed value
 * differs at every write, its nonce being new).
 */
export function resourceContent(resource: Resource): string {
  return JSON.stringify(specToJson(resource));
}

export type StoredValue = { readonly ok: true; readonly resource: Resource } | { readonly ok: false; readonly reason: string };

/**
 * A value written by hand (`etcdctl put`) may be anything: such a value reads as "no resource" and
 * the caller logs the reason, so one bad key cannot stop the control plane from listing.
 *
 * A private key that no configured encryption key opens is another matter: the resource is real and
 * leaving it out would withdraw it from every proxy. That throws ControlPlaneError
 * SLUICE_SECRET_UNREADABLE naming the resource and the key; never an empty or still-sealed key.
 */
export function fromStoredValue(key: string, value: string, sealer: SecretSealer): StoredValue {
  const parsed = parseResourceKey(key);
  if (parsed === undefined) return { ok: false, reason: 'key outside the /sluice/v1/<kind>/<name> layout' };
  let json: Record<string, unknown>;
  let resource: Resource;
  try {
    json = JSON.parse(value) as Record<string, unknown>;
    const secret = json?.[PRIVATE_KEY];
    if (parsed.kind === 'Certificate' && typeof secret === 'string' && secret !== '') json = { ...json, [PRIVATE_KEY]: openSecret(sealer, secret, resourcePath(parsed.kind, parsed.name)) };
    resource = specFromJson(parsed.kind, json);
  } catch (err) {
    if (err instanceof ControlPlaneError) throw err;
    return { ok: false, reason: `value is not a ${parsed.kind} in protobuf JSON: ${(err as Error).message}` };
  }
  if (resource.spec.name !== parsed.name) {
    return { ok: false, reason: `value names "${resource.spec.name}", key names "${parsed.name}"` };
  }
  return { ok: true, resource };
}

function openSecret(sealer: SecretSealer, stored: string, path: string): string {
  try {
    return sealer.open(stored);
  } catch (err) {
    throw new ControlPlaneError(ErrorCode.SecretUnreadable, `${path}.privateKey cannot be read: ${(err as Error).message}`, { cause: err });
  }
}
