// Admin API routes about access itself: GET /v1/whoami (any token: who it says you are) and
// GET /v1/api-tokens (admin only: the names and roles of every admin API token, never the tokens).
import type { ApiRoute } from './api-route.js';
import type { ApiTokens } from './api-tokens.js';

export function accessRoutes(tokens: ApiTokens): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/whoami',
      role: 'viewer',
      handler: (ctx) => ({ status: 200, body: { name: ctx.caller?.name, role: ctx.caller?.role } }),
    },
    {
      method: 'GET',
      path: '/v1/api-tokens',
      role: 'admin',
      handler: () => ({ status: 200, body: { tokens: tokens.callers().map(({ name, role }) => ({ name, role })) } }),
    },
  ];
}
