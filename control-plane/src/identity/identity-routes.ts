// Admin API routes of the mesh identity: bootstrap tokens (POST, GET /v1/tokens, DELETE
// /v1/tokens/:id) and the trust bundle (GET /v1/trust-bundle). No answer ever holds a private key; a
// token is in exactly one answer, the one that created it.
import type { ApiRoute } from '../api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { BootstrapTokens } from './bootstrap-tokens.js';
import type { SigningAuthority } from './signing-authority.js';
import { trustBundlePem } from './signing-authority.js';

/** Ten years: longer TTLs are surely a mistake (a token without --ttl-seconds never expires anyway). */
const MAX_TOKEN_TTL_SECONDS = 10 * 365 * 24 * 3600;

export function identityRoutes(tokens: BootstrapTokens, authority: () => Promise<SigningAuthority>): ApiRoute[] {
  return [
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
        const roots = a.roots.map((r) => ({
          serial: r.serialNumber,
          subject: r.subject,
          notBefore: r.notBefore.toISOString(),
          notAfter: r.notAfter.toISOString(),
          signing: r.serialNumber === a.signer.serialNumber || a.intermediates.some((i) => i.issuer === r.subject),
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
