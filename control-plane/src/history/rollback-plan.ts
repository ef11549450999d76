// What a rollback writes: the difference between the current resources and those at the target
// revision, as one change set whose every op is conditioned on the revision it was computed from, so
// a write landing in between makes the rollback fail (SLUICE_CONFLICT) instead of undoing that write
// half-way.
import type { Kind, Resource } from '../../../proto/src/model/kinds.js';
import { resourceContent } from '../store/stored-value.js';
import type { ResourcesAt } from './history-state.js';

export interface RollbackPlan {
  readonly puts: Array<{ readonly resource: Resource; readonly ifRevision: number }>;
  readonly deletes: Array<{ readonly kind: Kind; readonly name: string; readonly ifRevision: number }>;
  /** Sorted by kind and name. */
  readonly changes: Array<{ readonly kind: Kind; readonly name: string; readonly action: 'created' | 'updated' | 'deleted' }>;
}

export function planRollback(current: ResourcesAt, target: ReadonlyMap<string, Resource>): RollbackPlan {
  const plan: RollbackPlan = { puts: [], deletes: [], changes: [] };
  for (const [ref, resource] of target) {
    const now = current.resources.get(ref);
    // Content compared with secrets in the clear: a sealed value differs at every write.
    if (now !== undefined && resourceContent(now.resource) === resourceContent(resource)) continue;
    plan.puts.push({ resource, ifRevision: now?.revision ?? 0 });
    plan.changes.push({ kind: resource.kind, name: resource.spec.name, action: now === undefined ? 'created' : 'updated' });
  }
  for (const [ref, now] of current.resources) {
    if (target.has(ref)) continue;
    plan.deletes.push({ kind: now.resource.kind, name: now.resource.spec.name, ifRevision: now.revision });
    plan.changes.push({ kind: now.resource.kind, name: now.resource.spec.name, action: 'deleted' });
  }
  plan.changes.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind < b.kind ? -1 : 1));
  return plan;
}
