// The admin token that guards the proxy's /debug/* endpoints: where it comes from (--admin-token-file,
// read again at each use so a rotated file takes effect, else SLUICE_ADMIN_TOKEN) and how a request
// shows it (Authorization: Bearer <token>, compared in constant time).
import { createHash, timingSafeEqual } from 'node:crypto';
import { tokenFileReader } from '../../../proto/src/command-line/token-source.js';

/** The current admin token, or undefined when none is configured (then /debug/* is off). */
export function adminTokenSource(tokenFile: string | undefined, env: NodeJS.ProcessEnv): (() => string) | undefined {
  if (tokenFile !== undefined) return tokenFileReader(tokenFile, '--admin-token-file');
  const fromEnv = env['SLUICE_ADMIN_TOKEN']?.trim();
  return fromEnv === undefined || fromEnv === '' ? undefined : () => fromEnv;
}

/** Whether an Authorization header carries `token` as its bearer token. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  if (given === undefined) return false;
  // Digests have one length whatever the tokens' lengths, so the comparison takes the same time
  // however many leading characters a guess gets right.
  return timingSafeEqual(sha256(given), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
