// Header field syntax (RFC 9110 §5.1, §5.5): names are tokens; values are visible ASCII, space, tab
// and obs-text, never NUL, CR, LF or another control byte. Checked on what upstreams send
// (response-head.ts) and on what the proxy writes to clients (h1-response.ts).

/** A character a field value may not hold. */
export const BAD_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** tchar (RFC 9110 §5.6.2) by character code below 128: 1 when allowed in a token. */
export const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Whether `name` is a token: a valid header field name. */
export function isToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}
