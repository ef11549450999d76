// Signing in to the dashboard: POST /ui/session trades an API token (in the body, never in a URL) for
// a session cookie; GET /ui/session says who the cookie signs in; DELETE /ui/session signs out.
// Public routes: each checks what it needs itself.
import type { ApiContext, ApiRoute } from '../api/api-route.js';
import type { ApiTokens } from '../api/api-tokens.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { checkSameOrigin } from './cross-site-check.js';
import { clearSessionCookie, sessionIdOf, setSessionCookie } from './session-cookie.js';
import type { UiSessions } from './ui-sessions.js';

/** Answers about a session are the caller's own: no cache keeps them. */
const NO_STORE = { 'cache-control': 'no-store' } as const;

export function sessionRoutes(tokens: ApiTokens, sessions: UiSessions, secure: boolean): ApiRoute[] {
  const signedIn = (ctx: ApiContext) => {
    const caller = sessions.lookup(sessionIdOf(ctx.headers) ?? '');
    if (caller === undefined) throw new ControlPlaneError(ErrorCode.Unauthenticated, 'not signed in to the dashboard');
    return caller;
  };
  return [
    {
      method: 'POST',
      path: '/ui/session',
      role: 'public',
      handler: async (ctx) => {
        // A browser always names the Origin of a POST: a sign-in from another site is refused. Tools
        // that send none (curl) are not browsers, and a cookie set for them is no risk.
        if (ctx.headers.origin !== undefined) checkSameOrigin(ctx.headers, 'POST', secure);
        else if (!/^application\/json\s*(;|$)/i.test(ctx.headers['content-type'] ?? '')) {
          throw new ControlPlaneError(ErrorCode.BadRequest, 'sign in with Content-Type: application/json and a body {"token": "..."}');
        }
        const token = tokenOf(await ctx.body());
        const caller = tokens.lookup(token);
        if (caller === undefined) throw new ControlPlaneError(ErrorCode.Unauthenticated, 'the token is not valid');
        const previous = sessionIdOf(ctx.headers);
        if (previous !== undefined) sessions.delete(previous);
        const id = sessions.create(caller);
        ctx.log.info({ actor: caller.name, role: caller.role }, 'signed in to the dashboard');
        return { status: 200, body: { name: caller.name, role: caller.role }, headers: { ...NO_STORE, 'set-cookie': setSessionCookie(id, secure) } };
      },
    },
    {
      method: 'GET',
      path: '/ui/session',
      role: 'public',
      handler: (ctx) => {
        const caller = signedIn(ctx);
        return { status: 200, body: { name: caller.name, role: caller.role }, headers: NO_STORE };
      },
    },
    {
      method: 'DELETE',
      path: '/ui/session',
      role: 'public',
      handler: (ctx) => {
        // Signing out another site's visitor is a nuisance worth refusing; no body, so no type to check.
        if (ctx.headers.origin !== undefined) checkSameOrigin(ctx.headers, 'DELETE', secure, { needsBodyType: false });
        const id = sessionIdOf(ctx.headers);
        if (id !== undefined) sessions.delete(id);
        return { status: 204, body: undefined, headers: { ...NO_STORE, 'set-cookie': clearSessionCookie(secure) } };
      },
    },
  ];
}

/** The `token` of a `{"token": "..."}` body; SLUICE_BAD_REQUEST naming the field otherwise. */
function tokenOf(body: Buffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlPlaneError(ErrorCode.BadRequest, 'the sign-in body is not JSON', { errors: [{ path: 'token', message: 'expected {"token": "..."}' }] });
  }
  const token = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['token'] : undefined;
  if (typeof token !== 'string' || token === '') {
    throw new ControlPlaneError(ErrorCode.BadRequest, 'the sign-in body has no token', { errors: [{ path: 'token', message: 'required: a non-empty string' }] });
  }
  return token;
}
