// The routes that write many resources at once: POST /v1/apply (create or update every document; with
// ?applyset=NAME&prune=true also delete what the set no longer holds) and POST /v1/delete (delete every
// document's kind and name). Each is one transaction, all or nothing; ?dryRun=true checks and plans
// without committing and answers every change with the spec before and after.
import type { JsonObject } from '@bufbuild/protobuf';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { Resource } from '../../../proto/src/model/kinds.js';
import { toApiJson } from '../../../proto/src/model/resource-json.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { ResourceStore } from '../store/store.js';
import type { ApiContext, ApiRoute } from './api-route.js';
import type { ApiJson } from './api-json.js';
import type { AuditLog } from './audit-log.js';
import { checkApplySetName, planApplySet, releaseFromApplySets } from './apply-set.js';
import { parseDeleteBody } from './delete-input.js';
import { parseApplyBody } from './resource-input.js';
import { auditedParse, originOf, storedKeyOf } from './resource-routes.js';
import type { PlannedChange, ResourceWriter } from './resource-writer.js';

export interface ApplyRoutesDeps {
  readonly cache: ResourceCache;
  readonly store: ResourceStore;
  readonly writer: ResourceWriter;
  readonly json: ApiJson;
  readonly audit?: AuditLog;
}

export function applyRoutes({ cache, store, writer, json, audit }: ApplyRoutesDeps): ApiRoute[] {
  const storedKey = storedKeyOf(cache);
  const parsed = auditedParse(audit);
  return [
    {
      method: 'POST',
      path: '/v1/apply',
      role: 'editor',
      handler: async (ctx) => {
        const origin = originOf(ctx, ctx.url.searchParams.get('prune') === 'true' ? 'prune' : 'apply');
        const { query, resources } = await parsed(origin, [], async () => {
          const q = applyQuery(ctx);
          return { query: q, resources: parseApplyBody(await ctx.body(), ctx.headers['content-type'], storedKey, cache.resources) };
        });
        const { applySet, dryRun } = query;
        const extend = applySet === undefined ? undefined : () => planApplySet(store, cache, applySet, resources);
        const outcome = await writer.write(resources.map((resource) => ({ resource })), [], origin, { dryRun, ...(extend === undefined ? {} : { extend }) });
        return {
          status: 200,
          body: {
            revision: outcome.revision,
            ...(dryRun ? { dryRun } : { resources: resources.map((r, i) => json.written(r, outcome.changes[i]!.revision)) }),
            ...(applySet === undefined ? {} : { applyset: applySet }),
            changes: outcome.changes.map((c) => describeChange(c, dryRun)),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/delete',
      role: 'editor',
      handler: async (ctx) => {
        const origin = originOf(ctx, 'delete');
        const { dryRun, targets } = await parsed(origin, [], async () => {
          const q = queryFlags(ctx, ['dryRun']);
          return { dryRun: q.has('dryRun'), targets: parseDeleteBody(await ctx.body(), ctx.headers['content-type']) };
        });
        // Deleted resources leave the apply sets that list them, in the same transaction.
        const extend = async (): Promise<Awaited<ReturnType<typeof planApplySet>>> => ({
          deletes: [],
          meta: await releaseFromApplySets(store, targets.filter((t) => cache.get(t.kind, t.name) !== undefined)),
        });
        const outcome = await writer.write([], targets.map((t) => ({ ...t, missingOk: true })), origin, { dryRun, extend });
        return { status: 200, body: { revision: outcome.revision, ...(dryRun ? { dryRun } : {}), changes: outcome.changes.map((c) => describeChange(c, dryRun)) } };
      },
    },
  ];
}

interface ApplyQuery {
  readonly dryRun: boolean;
  readonly applySet?: string;
}

/** `dryRun`, `applyset` and `prune`, which go together, as kubectl's --prune needs --applyset. */
function applyQuery(ctx: ApiContext): ApplyQuery {
  const flags = queryFlags(ctx, ['dryRun', 'prune'], ['applyset']);
  const applySet = ctx.url.searchParams.get('applyset') ?? undefined;
  if (flags.has('prune') !== (applySet !== undefined)) {
    const [given, missing] = applySet === undefined ? ['prune', 'applyset'] : ['applyset', 'prune'];
    throw new ControlPlaneError(ErrorCode.BadRequest, `?${given} needs ?${missing}: an apply set is applied with prune=true and its name`, {
      errors: [{ path: `query.${missing}`, message: `is required with ${given}` }],
    });
  }
  if (applySet !== undefined) checkApplySetName(applySet);
  return { dryRun: flags.has('dryRun'), ...(applySet === undefined ? {} : { applySet }) };
}

/** The boolean query parameters set to true; any other parameter, or value, is a 400 naming it. */
function queryFlags(ctx: ApiContext, booleans: readonly string[], strings: readonly string[] = []): Set<string> {
  const set = new Set<string>();
  for (const [name, value] of ctx.url.searchParams) {
    if (strings.includes(name)) continue;
    if (!booleans.includes(name)) {
      throw new ControlPlaneError(ErrorCode.BadRequest, `unknown query parameter ${name}`, { errors: [{ path: `query.${name}`, message: `is not a parameter of ${ctx.url.pathname} (${[...booleans, ...strings].join(', ')})` }] });
    }
    if (value !== 'true' && value !== 'false') {
      throw new ControlPlaneError(ErrorCode.BadRequest, `${name} must be true or false`, { errors: [{ path: `query.${name}`, message: `must be true or false, got ${JSON.stringify(value)}` }] });
    }
    if (value === 'true') set.add(name);
  }
  return set;
}

/** A change as answered: on a dry run with the spec before and after (private keys redacted), for `ctl diff`. */
function describeChange(c: PlannedChange, dryRun: boolean): JsonObject {
  const base: JsonObject = { kind: c.kind, name: c.name, action: c.action };
  if (!dryRun) return base;
  return { ...base, ...(c.before === undefined ? {} : { before: specJson(c.before) }), ...(c.after === undefined ? {} : { after: specJson(c.after) }) };
}

function specJson(resource: Resource): JsonObject {
  const { revision: _revision, ...rest } = toApiJson(resource, 0);
  return rest;
}
