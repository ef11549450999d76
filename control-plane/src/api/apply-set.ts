// Apply sets (kubectl's applyset, for `sluice ctl apply --prune --applyset NAME`): the store keeps, per
// set name, the kinds and names last applied under it, in a meta key written in the same transaction
// as the apply. A pruning apply deletes the set's resources that the request no longer holds; nothing
// outside the set is ever pruned. A resource belongs to at most one set: an apply that would take one
// from another set is refused, naming that set.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { FieldErrors, type FieldError } from '../../../proto/src/model/field-error.js';
import { KINDS, resourcePath, type Kind, type Resource } from '../../../proto/src/model/kinds.js';
import { checkName } from '../../../proto/src/model/validate/syntax.js';
import { APPLYSET_PREFIX } from '../store/keys.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { MetaWrite, ResourceStore } from '../store/store.js';
import type { DeleteRequest } from './resource-writer.js';

interface Member {
  readonly kind: Kind;
  readonly name: string;
}

/** The record's value: `{"resources":[{"kind":"Route","name":"web"},...]}`, sorted, readable with etcdctl. */
interface ApplySetRecord {
  readonly resources: Member[];
}

/** Refuses an apply-set name that is not a resource-style name: 400 naming the query parameter. */
export function checkApplySetName(name: string): void {
  const errors = new FieldErrors();
  checkName(name, 'applyset', errors);
  if (errors.list.length > 0) throw new ControlPlaneError(ErrorCode.BadRequest, `applyset ${JSON.stringify(name)} is not a valid name`, { errors: errors.list });
}

/**
 * The prune deletes and record writes of applying `resources` as set `name`, against the state the
 * writer validated (`cache`). Other sets' claims on resources that no longer exist are stale: they are
 * dropped, in the same transaction, so a later prune of that set cannot delete what this one now owns.
 */
export async function planApplySet(store: ResourceStore, cache: ResourceCache, name: string, resources: readonly Resource[]): Promise<{ deletes: DeleteRequest[]; meta: MetaWrite[] }> {
  const sets = await readApplySets(store);
  const wanted = new Map(resources.map((r) => [memberKey(r.kind, r.spec.name), { kind: r.kind, name: r.spec.name }]));
  const conflicts: FieldError[] = [];
  const meta: MetaWrite[] = [];
  for (const [other, members] of sets) {
    if (other === name) continue;
    const claimed = members.filter((m) => wanted.has(memberKey(m.kind, m.name)));
    if (claimed.length === 0) continue;
    const live = claimed.filter((m) => cache.get(m.kind, m.name) !== undefined);
    for (const m of live) {
      conflicts.push({ path: resourcePath(m.kind, m.name), message: `belongs to apply set "${other}": apply it with --applyset ${other}, or drop it from that set's files and apply them first` });
    }
    if (live.length === 0) meta.push(recordWrite(other, members.filter((m) => !wanted.has(memberKey(m.kind, m.name)))));
  }
  if (conflicts.length > 0) {
    throw new ControlPlaneError(ErrorCode.Conflict, `${conflicts.length} resource${conflicts.length === 1 ? '' : 's'} of this apply belong${conflicts.length === 1 ? 's' : ''} to another apply set`, { errors: conflicts });
  }
  const previous = sets.get(name) ?? [];
  const deletes: DeleteRequest[] = previous
    .filter((m) => !wanted.has(memberKey(m.kind, m.name)) && cache.get(m.kind, m.name) !== undefined)
    .map((m) => ({ kind: m.kind, name: m.name, pruned: true }));
  const next = [...wanted.values()];
  if (serialize(next) !== serialize(previous)) meta.push(recordWrite(name, next));
  return { deletes, meta };
}

/** The record writes that take deleted resources out of every set that lists them (delete -f). */
export async function releaseFromApplySets(store: ResourceStore, deleted: readonly Member[]): Promise<MetaWrite[]> {
  if (deleted.length === 0) return [];
  const gone = new Set(deleted.map((d) => memberKey(d.kind, d.name)));
  const meta: MetaWrite[] = [];
  for (const [name, members] of await readApplySets(store)) {
    const kept = members.filter((m) => !gone.has(memberKey(m.kind, m.name)));
    if (kept.length !== members.length) meta.push(recordWrite(name, kept));
  }
  return meta;
}

async function readApplySets(store: ResourceStore): Promise<Map<string, Member[]>> {
  const sets = new Map<string, Member[]>();
  for (const { key, value } of await store.listMeta(APPLYSET_PREFIX)) sets.set(key.slice(APPLYSET_PREFIX.length), parseRecord(key, value));
  return sets;
}

function parseRecord(key: string, value: string): Member[] {
  try {
    const record = JSON.parse(value) as ApplySetRecord;
    if (Array.isArray(record.resources) && record.resources.every((m) => KINDS.includes(m.kind) && typeof m.name === 'string')) return record.resources;
  } catch {
    // reported below
  }
  throw new ControlPlaneError(ErrorCode.Internal, `the store holds an apply-set record that is not one at ${key}`);
}

/** An empty set's key is deleted: a set exists while it holds something. */
function recordWrite(name: string, members: readonly Member[]): MetaWrite {
  const key = `${APPLYSET_PREFIX}${name}`;
  return members.length === 0 ? { key } : { key, value: serialize(members) };
}

function serialize(members: readonly Member[]): string {
  const sorted = [...members].sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1));
  return JSON.stringify({ resources: sorted.map(({ kind, name }) => ({ kind, name })) } satisfies ApplySetRecord);
}

function memberKey(kind: Kind, name: string): string {
  return `${kind}/${name}`;
}
