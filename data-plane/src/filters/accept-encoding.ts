// Content negotiation on Accept-Encoding (RFC 9110 §12.5.3): which of the codings the proxy offers
// a client takes, by the client's q-values first and the proxy's order of preference second.

/**
 * The coding of `offered` (most preferred first) to send, or undefined to send the body as it is.
 * A coding the client does not name gets the q of `*`, else none; q=0 refuses it. A client that
 * names `identity` with a higher q than every offered coding gets the body as it is. No header at
 * all means the client said nothing: the body goes as it is, as Envoy and nginx do (RFC 9110 would
 * allow any coding, which old clients sending no header may not decode).
 */
export function negotiateEncoding(acceptEncoding: string | undefined, offered: readonly string[]): string | undefined {
  if (acceptEncoding === undefined) return undefined;
  const weights = parseAcceptEncoding(acceptEncoding);
  const star = weights.get('*');
  let best: string | undefined;
  let bestQ = 0;
  for (const coding of offered) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  const identity = weights.get('identity');
  return identity !== undefined && identity > bestQ ? undefined : best;
}

/** Coding → q-value. An unreadable q counts as 0 (refused): sending what a client may not read is worse. */
function parseAcceptEncoding(header: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const member of header.split(',')) {
    const parts = member.split(';');
    let coding = parts[0]!.trim().toLowerCase();
    if (coding === '') continue;
    // RFC 9110 §8.4.1.3: x-gzip is gzip.
    if (coding === 'x-gzip') coding = 'gzip';
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const eq = parts[i]!.indexOf('=');
      if (eq < 0 || parts[i]!.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      q = qValue(parts[i]!.slice(eq + 1).trim());
    }
    if (!weights.has(coding)) weights.set(coding, q);
  }
  return weights;
}

function qValue(text: string): number {
  if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text)) return 0;
  return Number(text);
}
