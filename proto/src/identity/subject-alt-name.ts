// The SPIFFE ID a certificate names, read from Node's `subjectaltname` spelling (`DNS:a, URI:b`): one
// reader for the proxy's callers, its own workload certificate and the control plane's certificate.
import { parseSpiffeId } from './spiffe-id.js';

/**
 * The one URI SAN when it is a SPIFFE ID. X.509-SVID §2: an SVID carries exactly one URI SAN; a
 * certificate with several is not an SVID and names nobody.
 */
export function spiffeUri(subjectAltName: string | undefined): string | undefined {
  if (subjectAltName === undefined || subjectAltName === '') return undefined;
  const uris = sanEntries(subjectAltName).filter((e) => e.startsWith('URI:')).map((e) => e.slice(4));
  if (uris.length !== 1) return undefined;
  return parseSpiffeId(uris[0]!) === undefined ? undefined : uris[0];
}

/** Splits Node's `subjectaltname` (`DNS:a, URI:b`); values with a comma or quote come JSON-quoted. */
function sanEntries(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      // JSON string: find its closing quote, skipping escapes.
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        value = '';
      }
      next = text.indexOf(', ', j + 1);
    } else {
      next = text.indexOf(', ', colon + 1);
      value = text.slice(colon + 1, next < 0 ? undefined : next);
    }
    out.push(`${type}:${value}`);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}
