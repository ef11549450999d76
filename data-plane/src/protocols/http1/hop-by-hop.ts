// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded.

/** Always removed when forwarding, whatever the Connection header says. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The lowercase tokens of a Connection header value (`close`, `keep-alive`, and the names of other
 * headers the sender made hop-by-hop, which must be removed too).
 */
export function connectionTokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '') out.push(token);
  }
  return out;
}

/**
 * Removes, in place, the headers that Connection tokens name (other than `close` and `keep-alive`)
 * from a flat `[name, value, ...]` list with lowercase names.
 */
export function removeConnectionNamed(raw: string[], tokens: readonly string[]): void {
  for (const token of tokens) {
    if (token === 'close' || token === 'keep-alive') continue;
    let w = 0;
    for (let r = 0; r < raw.length; r += 2) {
      if (raw[r] === token) continue;
      raw[w++] = raw[r]!;
      raw[w++] = raw[r + 1]!;
    }
    raw.length = w;
  }
}
