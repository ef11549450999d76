// Admin API routes of the mesh identity: bootstrap tokens (POST, GET /v1/tokens, DELETE
// /v1/tokens/:id), the trust bundle (GET /v1/trust-bundle) and the three steps of a root rotation
// (POST /v1/ca/roots, POST /v1/ca/roots/:serial/use, DELETE /v1/ca/roots/:serial). No answer ever holds
// a private key; a token is in exactly one answer, the one that created it.
import type { ApiContext, ApiResult, ApiRoute } from '../api/api-route.js';
import type { RootInfo, RootRotation } from './root-rotation.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { BootstrapTokens } from './bootstrap-tokens.js';
import type { SigningAuthority } from './signing-authority.js';
import { trustBundlePem } from './signing-authority.js';

/** Ten years: longer TTLs are surely a mistake (a token without --ttl-seconds never expires anyway). */
const MAX_TOKEN_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** `rotation`: undefined with a plug-in CA, whose roots are the operator's files. */
export function identityRoutes(tokens: BootstrapTokens, authority: () => Promise<SigningAuthority>, rotation: RootRotation | undefined): ApiRoute[] {
  const rotate = async (what: string, step: (r: RootRotation) => Promise<RootInfo[]>, log: ApiContext['log']): Promise<ApiResult> => {
    if (rotation === undefined) throw new ControlPlaneError(ErrorCode.Conflict, 'the mesh CA is the plug-in CA (--ca-cert): its roots are the --ca-chain file; rotate by changing the files');
    const roots = await step(rotation);
    log.info({ roots: roots.map((r) => ({ serial: r.serial, signing: r.signing })) }, `mesh CA: ${what}`);
    return { status: 200, body: { roots } };
  };
  return [
    {
      method: 'POST',
      path: '/v1/ca/roots',
      handler: (ctx) => rotate('root added to the trust bundle', (r) => r.addRoot(), ctx.log),
    },
    {
      method: 'POST',
      path: '/v1/ca/roots/:serial/use',
      handler: (ctx) => rotate('signing root switched', (r) => r.useRoot(ctx.params['serial']!), ctx.log),
    },
    {
      method: 'DELETE',
      path: '/v1/ca/roots/:serial',
      handler: (ctx) => rotate('root removed from the trust bundle', (r) => r.removeRoot(ctx.params['serial']!), ctx.log),
    },
    {
      method: 'POST',
      path: '/v1/tokens',
      handler: async (ctx) => {
        const { service, ttlSeconds } = tokenRequest(await ctx.body());
        const created = await tokens.create(service, ttlSeconds);
        ctx.log.info({ id: created.id, identity: created.identity, expiresAt: created.expiresAt }, 'bootstrap token created');
        return { status: 201, body: created };
      },
    },
    {
      method: 'GET',
      path: '/v1/tokens',
      handler: async () => ({ status: 200, body: { tokens: await tokens.list() } }),
    },
    {
      method: 'DELETE',
      path: '/v1/tokens/:id',
      handler: async (ctx) => {
        const id = ctx.params['id']!;
        if (!(await tokens.revoke(id))) throw new ControlPlaneError(ErrorCode.NotFound, `no bootstrap token with id ${JSON.stringify(id)}`);
        ctx.log.info({ id }, 'bootstrap token revoked');
        return { status: 200, body: { id, revoked: true } };
      },
    },
    {
      method: 'GET',
      path: '/v1/trust-bundle',
      handler: async () => {
        const a = await authority();
        const top = [a.signer, ...a.intermediates].at(-1)!;
        const roots = a.roots.map((r) => ({
          serial: r.serialNumber,
          subject: r.subject,
          notBefore: r.notBefore.toISOString(),
          notAfter: r.notAfter.toISOString(),
          // The root the signer's path ends at (itself, when a root signs).
          signing: r === a.signer || (r !== top && top.issuer === r.subject),
        }));
        return { status: 200, body: { roots, pem: trustBundlePem(a) } };
      },
    },
  ];
}

function tokenRequest(body: Buffer): { service: string; ttlSeconds?: number } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlPlaneError(ErrorCode.BadRequest, 'the body must be JSON: {"service": "NAME", "ttlSeconds": N}');
  }
  const { service, ttlSeconds } = (typeof json === 'object' && json !== null ? json : {}) as { service?: unknown; ttlSeconds?: unknown };
  const errors = [];
  if (typeof service !== 'string' || service === '') errors.push({ path: 'service', message: 'is required: the service the token is for' });
  if (ttlSeconds !== undefined && !(Number.isSafeInteger(ttlSeconds) && (ttlSeconds as number) > 0 && (ttlSeconds as number) <= MAX_TOKEN_TTL_SECONDS)) {
    errors.push({ path: 'ttlSeconds', message: `must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}` });
  }
  if (errors.length > 0) throw new ControlPlaneError(ErrorCode.Validation, 'the token request is not valid', { errors });
  return { service: service as string, ...(ttlSeconds === undefined ? {} : { ttlSeconds: ttlSeconds as number }) };
}
