// Cross-site request forgery defence for requests signed in by the session cookie (OWASP's CSRF
// cheat sheet: verify the origin with standard headers, and refuse the "simple" content types a
// cross-site HTML form can send without a CORS preflight). Reads pass; a change must come from the
// dashboard's own origin and carry JSON or YAML.
import type { IncomingHttpHeaders } from 'node:http';
import { ControlPlaneError, ErrorCode } from '../errors.js';

const CHANGE_TYPES = new Set(['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml']);

/** The origin the dashboard is served from, as its pages' requests name it: the Host they were sent to. */
export function ownOrigin(headers: IncomingHttpHeaders, secure: boolean): string | undefined {
  const host = headers.host;
  return host === undefined ? undefined : `${secure ? 'https' : 'http'}://${host.toLowerCase()}`;
}

/** Throws SLUICE_CROSS_SITE unless a request (signed in by cookie) with these `headers` is a read or a same-origin JSON/YAML change. */
export function checkSameOrigin(headers: IncomingHttpHeaders, method: string, secure: boolean, options: { readonly needsBodyType?: boolean } = {}): void {
  if (method === 'GET' || method === 'HEAD') return;
  const origin = headers.origin;
  const own = ownOrigin(headers, secure);
  if (origin === undefined) {
    throw new ControlPlaneError(ErrorCode.CrossSite, `cross-site request refused: ${method} with the session cookie needs an Origin header`);
  }
  if (own === undefined || origin.toLowerCase() !== own) {
    throw new ControlPlaneError(ErrorCode.CrossSite, `cross-site request refused: Origin ${JSON.stringify(origin)} is not this API's own (${own ?? 'no Host header'})`);
  }
  if (options.needsBodyType === false) return;
  const type = (headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (!CHANGE_TYPES.has(type)) {
    throw new ControlPlaneError(ErrorCode.CrossSite, `cross-site request refused: ${method} with the session cookie needs Content-Type application/json or application/yaml, not ${JSON.stringify(type)}`);
  }
}
