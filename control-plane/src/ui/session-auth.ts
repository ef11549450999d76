// The dashboard's way into the admin API: a request without an Authorization header that carries the
// session cookie is the caller its session was opened for, provided a change comes from the dashboard's
// own origin (cross-site-check.ts). The API server asks it before the bearer check.
import type { IncomingMessage } from 'node:http';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ApiCaller } from '../api/api-tokens.js';
import { checkSameOrigin } from './cross-site-check.js';
import { hasSessionCookie, sessionIdOf } from './session-cookie.js';
import type { UiSessions } from './ui-sessions.js';

export class SessionAuth {
  /** `secure`: the API serves HTTPS, so the dashboard's origin is https://. */
  constructor(readonly sessions: UiSessions, readonly secure: boolean) {}

  /**
   * The caller of `req`'s session cookie; undefined when it carries none (the bearer check then
   * answers). Throws SLUICE_UNAUTHENTICATED for an unknown or expired session, SLUICE_CROSS_SITE for
   * a change that is not the dashboard's own.
   */
  check(req: IncomingMessage, method: string): ApiCaller | undefined {
    if (!hasSessionCookie(req.headers)) return undefined;
    const caller = this.sessions.lookup(sessionIdOf(req.headers) ?? '');
    if (caller === undefined) throw new ControlPlaneError(ErrorCode.Unauthenticated, 'the dashboard session has ended or is not valid: sign in again');
    checkSameOrigin(req.headers, method, this.secure);
    return caller;
  }
}
