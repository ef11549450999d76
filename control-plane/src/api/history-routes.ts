// GET /v1/history (the retained change records, newest first) and POST /v1/rollback (restore the
// configuration of a past revision as one new change, recorded itself).
import type { JsonObject } from '@bufbuild/protobuf';
import { parseKind, type Resource } from '../../../proto/src/model/kinds.js';
import { toApiJson } from '../../../proto/src/model/resource-json.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { HistoryLog } from '../history/history-log.js';
import { oldestRevision, resourcesAt, resourcesNow, withAfter, type ChangeWithAfter } from '../history/history-state.js';
import { planRollback } from '../history/rollback-plan.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { ApiContext, ApiRoute } from './api-route.js';
import type { ResourceWriter } from './resource-writer.js';

export const DEFAULT_HISTORY_PAGE = 100;
const MAX_HISTORY_PAGE = 1000;

export interface HistoryRoutesDeps {
  readonly cache: ResourceCache;
  readonly writer: ResourceWriter;
  readonly history: HistoryLog;
}

export function historyRoutes({ cache, writer, history }: HistoryRoutesDeps): ApiRoute[] {
  const requireSynced = (): void => {
    if (cache.revision === 0) throw new ControlPlaneError(ErrorCode.StoreUnavailable, 'the control plane has not read the store yet; try again shortly');
  };
  return [
    {
      method: 'GET',
      path: '/v1/history',
      role: 'viewer',
      handler: async (ctx) => {
        requireSynced();
        const query = historyQuery(ctx);
        const current = resourcesNow(cache);
        const records = await history.read(current.revision);
        const matches = (c: ChangeWithAfter): boolean => (query.kind === undefined || c.kind === query.kind) && (query.name === undefined || c.name === query.name);
        const selected = withAfter(records, current).reverse()
          .filter((r) => query.before === undefined || r.revision < query.before)
          .map((r) => ({ ...r, changes: r.changes.filter(matches) }))
          .filter((r) => r.changes.length > 0 || (query.kind === undefined && query.name === undefined));
        const page = selected.slice(0, query.limit);
        const more = selected.length > page.length;
        return {
          status: 200,
          body: {
            revision: current.revision,
            oldestRevision: oldestRevision(records, current),
            retained: history.limit,
            entries: page.map((r) => ({
              revision: r.revision,
              validatedAt: r.validatedAt,
              time: r.time,
              actor: r.actor,
              operation: r.operation,
              ...(r.toRevision === undefined ? {} : { toRevision: r.toRevision }),
              changes: r.changes.map((c) => ({ kind: c.kind, name: c.name, action: c.action, ...spec('before', c.before), ...spec('after', c.after) })),
            })),
            ...(more ? { continue: String(page[page.length - 1]!.revision) } : {}),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/rollback',
      role: 'editor',
      handler: async (ctx) => {
        requireSynced();
        const { toRevision, dryRun } = rollbackBody(await ctx.body());
        const current = resourcesNow(cache);
        const target = resourcesAt(toRevision, current, await history.read(current.revision));
        const plan = planRollback(current, target);
        if (dryRun) return { status: 200, body: { toRevision, dryRun: true, revision: current.revision, changes: plan.changes } };
        const outcome = await writer.write(plan.puts, plan.deletes, { actor: ctx.caller?.name ?? 'unknown', operation: 'rollback', toRevision });
        return { status: 200, body: { toRevision, revision: outcome.revision, changes: plan.changes } };
      },
    },
  ];
}

/** A resource as the API shows it (private keys redacted), without a revision: a record holds none. */
function spec(field: 'before' | 'after', resource: Resource | undefined): Record<string, JsonObject> {
  if (resource === undefined) return {};
  const { revision: _revision, ...body } = toApiJson(resource, 0);
  return { [field]: body };
}

function historyQuery(ctx: ApiContext): { kind?: ReturnType<typeof parseKind>; name?: string; limit: number; before?: number } {
  const params = ctx.url.searchParams;
  const bad = (path: string, message: string): ControlPlaneError => new ControlPlaneError(ErrorCode.BadRequest, `${path}: ${message}`, { errors: [{ path, message }] });
  const kindRaw = params.get('kind');
  const kind = kindRaw === null || kindRaw === '' ? undefined : parseKind(kindRaw);
  if (kindRaw !== null && kindRaw !== '' && kind === undefined) throw bad('kind', `unknown kind "${kindRaw}"`);
  const name = params.get('name') ?? undefined;
  if (name !== undefined && kind === undefined) throw bad('name', 'needs kind');
  const int = (key: string): number | undefined => {
    const raw = params.get(key);
    if (raw === null) return undefined;
    if (!/^\d{1,15}$/.test(raw)) throw bad(key, `must be a non-negative integer, got "${raw}"`);
    return Number(raw);
  };
  const limit = int('limit') ?? DEFAULT_HISTORY_PAGE;
  if (limit < 1 || limit > MAX_HISTORY_PAGE) throw bad('limit', `must be between 1 and ${MAX_HISTORY_PAGE}`);
  const before = int('continue');
  return { ...(kind === undefined ? {} : { kind }), ...(name === undefined ? {} : { name }), limit, ...(before === undefined ? {} : { before }) };
}

function rollbackBody(raw: Buffer): { toRevision: number; dryRun: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ControlPlaneError(ErrorCode.BadRequest, `the body is not JSON: ${(err as Error).message}`);
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const toRevision = fields['toRevision'];
  if (typeof toRevision !== 'number' || !Number.isSafeInteger(toRevision) || toRevision < 1) {
    throw new ControlPlaneError(ErrorCode.Validation, 'toRevision: a positive integer is required', { errors: [{ path: 'toRevision', message: 'a positive integer is required' }] });
  }
  const dryRun = fields['dryRun'];
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new ControlPlaneError(ErrorCode.Validation, 'dryRun: must be true or false', { errors: [{ path: 'dryRun', message: 'must be true or false' }] });
  }
  return { toRevision, dryRun: dryRun === true };
}
