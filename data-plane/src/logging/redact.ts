// What the proxy never writes to a log: credentials in headers, private keys, tokens, and secret
// query parameters. Shared by the access log and any pino logger the proxy creates.

const SECRET_KEYS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'privateKey', 'private_key', 'token', 'password', 'secret', 'x-api-key'];

/** pino `redact` paths: each secret key at the top level and up to three levels down. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const dot = k.startsWith('[') ? '' : '.';
  return [k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`];
});

export const REDACTED = '[redacted]';

/** Query parameters whose values are credentials (OAuth `access_token`, signed-URL `signature`, ...). */
const SECRET_PARAM = /token|secret|password|passwd|pwd|api[-_]?key|apikey|auth|signature|sig|session|credential|private/i;

/** `path?query` with secret parameter values replaced; the path alone when there is no query. */
export function redactQuery(path: string, query: string): string {
  if (query === '') return path;
  const q = query.startsWith('?') ? query.slice(1) : query;
  const parts = q.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    let name = pair.slice(0, eq);
    try {
      name = decodeURIComponent(name);
    } catch {
      // keep it raw
    }
    return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
  });
  return `${path}?${parts.join('&')}`;
}
