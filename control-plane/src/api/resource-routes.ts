// The resource routes of the admin API: list, get, put and delete one resource (apply-routes.ts
// writes many at once).
// Reads answer from the ResourceCache (so they work from the last watched state while etcd is down);
// writes go through the ResourceWriter.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { KIND_INFO, KINDS, parseKind, resourcePath, type Kind } from '../../../proto/src/model/kinds.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { ApiContext, ApiRoute } from './api-route.js';
import { parseIfMatch } from './if-match.js';
import { parsePutBody, type StoredKeyLookup } from './resource-input.js';
import type { ResourceWriter } from './resource-writer.js';
import type { ApiJson } from './api-json.js';
import type { AuditLog, ChangeOperation, ChangeOrigin, ResourceRef } from './audit-log.js';

export interface ResourceRoutesDeps {
  readonly cache: ResourceCache;
  readonly writer: ResourceWriter;
  readonly json: ApiJson;
  /** Records change requests refused before they reach the writer (a body that does not parse). */
  readonly audit?: AuditLog;
}

/** The stored private key of a certificate, for a body that sends the redacted form back. */
export function storedKeyOf(cache: ResourceCache): StoredKeyLookup {
  return (name) => {
    const stored = cache.get('Certificate', name)?.resource;
    return stored?.kind === 'Certificate' ? stored.spec.privateKey : undefined;
  };
}

/** Reads a change request; a refusal here is audited, since the writer never sees it. */
export function auditedParse(audit: AuditLog | undefined) {
  return async <T>(origin: ChangeOrigin, targets: readonly ResourceRef[], parse: () => Promise<T>): Promise<T> => {
    try {
      return await parse();
    } catch (err) {
      audit?.refused(origin, err instanceof ControlPlaneError ? err.code : ErrorCode.Internal, targets);
      throw err;
    }
  };
}

export function resourceRoutes({ cache, writer, json, audit }: ResourceRoutesDeps): ApiRoute[] {
  const storedKey = storedKeyOf(cache);
  const requireSynced = (): void => {
    if (cache.revision === 0) throw new ControlPlaneError(ErrorCode.StoreUnavailable, 'the control plane has not read the store yet; try again shortly');
  };
  const parsed = auditedParse(audit);

  return [
    {
      method: 'GET',
      path: '/v1/:kind',
      role: 'viewer',
      handler: (ctx) => {
        const kind = kindParam(ctx);
        requireSynced();
        return json.list(kind, cache.list(kind), cache.revision);
      },
    },
    {
      method: 'GET',
      path: '/v1/:kind/:name',
      role: 'viewer',
      handler: (ctx) => {
        const kind = kindParam(ctx);
        requireSynced();
        const name = ctx.params['name']!;
        const stored = cache.get(kind, name);
        if (stored === undefined) throw notFound(kind, name);
        return json.one(stored);
      },
    },
    {
      method: 'PUT',
      path: '/v1/:kind/:name',
      role: 'editor',
      handler: async (ctx) => {
        const name = ctx.params['name']!;
        const origin = originOf(ctx, 'put');
        const { resource, ifRevision } = await parsed(origin, [{ kind: ctx.params['kind']!, name }], async () => {
          const kind = kindParam(ctx);
          const ifRevision = parseIfMatch(ctx.headers['if-match']);
          return { kind, ifRevision, resource: parsePutBody(await ctx.body(), ctx.headers['content-type'], kind, name, storedKey) };
        });
        const outcome = await writer.write([{ resource, ifRevision }], [], origin);
        const change = outcome.changes[0]!;
        return { status: change.action === 'created' ? 201 : 200, body: json.written(resource, change.revision) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/:kind/:name',
      role: 'editor',
      handler: async (ctx) => {
        const name = ctx.params['name']!;
        const origin = originOf(ctx, 'delete');
        const { kind, ifRevision } = await parsed(origin, [{ kind: ctx.params['kind']!, name }], async () => ({ kind: kindParam(ctx), ifRevision: parseIfMatch(ctx.headers['if-match']) }));
        const outcome = await writer.write([], [{ kind, name, ifRevision }], origin);
        return { status: 200, body: { kind, name, deleted: true, revision: outcome.revision } };
      },
    },
  ];
}

export function originOf(ctx: ApiContext, operation: ChangeOperation): ChangeOrigin {
  return { actor: ctx.caller?.name ?? 'unknown', operation };
}

function kindParam(ctx: ApiContext): Kind {
  const spelling = ctx.params['kind']!;
  const kind = parseKind(spelling);
  if (kind === undefined) {
    throw new ControlPlaneError(ErrorCode.NotFound, `unknown kind "${spelling}" (one of ${KINDS.map((k) => KIND_INFO[k].plural).join(', ')})`);
  }
  return kind;
}

function notFound(kind: Kind, name: string): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.NotFound, `${resourcePath(kind, name)} does not exist`);
}
