// The etcd key layout: one prefix per kind, `/sluice/v1/<plural>/<name>`, values in protobuf JSON form.
import { KIND_INFO, KINDS, type Kind } from '../../../proto/src/model/kinds.js';

export const RESOURCE_PREFIX = '/sluice/v1/';
/**
 * Everything Sluice writes. Watches cover all of it, not only RESOURCE_PREFIX, so that every commit
 * (which always writes GENERATION_KEY) reaches them at its revision, even one that changed no resource.
 */
export const SLUICE_PREFIX = '/sluice/';
/**
 * Bumped by every configuration transaction. A write validated at revision R commits only if this
 * key's mod_revision is still <= R, so cross-reference checks always see the state they commit on.
 */
export const GENERATION_KEY = '/sluice/meta/generation';
/** Keys a commit may write beside the resources, in the same transaction (ResourceStore.commit's `meta`). */
export const META_PREFIX = '/sluice/meta/';
/** One key per apply set: the kinds and names applied under that name (control-plane/src/api/apply-set.ts). */
export const APPLYSET_PREFIX = '/sluice/meta/applysets/';

/**
 * Each replica's record of its proxies (control-plane/src/discovery/fleet-status-publisher.ts), under
 * its lease: `<prefix>proxies/<replica>/<shard>` and `<prefix>sync/<replica>`. Under SLUICE_PREFIX, so an etcd role on `/sluice/` covers it,
 * but not configuration: the resource watch skips these keys, so a status write is no revision that
 * proxies would have to reach (which would change their status again).
 */
export const FLEET_STATUS_PREFIX = '/sluice/fleet/';

export function resourceKey(kind: Kind, name: string): string {
  return `${RESOURCE_PREFIX}${KIND_INFO[kind].plural}/${name}`;
}

const BY_PLURAL = new Map<string, Kind>(KINDS.map((k) => [KIND_INFO[k].plural, k]));

/** `/sluice/v1/routes/web` → {kind: 'Route', name: 'web'}; undefined for keys outside the layout. */
export function parseResourceKey(key: string): { kind: Kind; name: string } | undefined {
  if (!key.startsWith(RESOURCE_PREFIX)) return undefined;
  const rest = key.slice(RESOURCE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const kind = BY_PLURAL.get(rest.slice(0, slash));
  return kind === undefined ? undefined : { kind, name: rest.slice(slash + 1) };
}
