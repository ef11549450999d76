// Who is calling: the SPIFFE ID in the URI SAN of the client certificate the listener's TLS verified
// (Istio's source.principal), and the namespace in its `/ns/<namespace>/` segment. Read once per
// connection: every request on it has the same caller.
import type { TLSSocket } from 'node:tls';
import { parseSpiffeId } from '../../../proto/src/identity/spiffe-id.js';

export interface CallerIdentity {
  /** The SPIFFE ID; undefined for plain text, no certificate, an unverified one, or no single SPIFFE URI SAN. */
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
}

export const ANONYMOUS: CallerIdentity = Object.freeze({ principal: undefined, namespace: undefined });

/** By socket (an HTTP/2 request's socket is its session's, so the streams of one session share it). */
const byConnection = new WeakMap<object, CallerIdentity>();

/** The caller of a request that arrived on `socket` (a net.Socket, a TLSSocket, or node:http2's socket proxy). */
export function callerIdentity(socket: object): CallerIdentity {
  let caller = byConnection.get(socket);
  if (caller === undefined) byConnection.set(socket, (caller = readCaller(socket as Partial<TLSSocket>)));
  return caller;
}

function readCaller(socket: Partial<TLSSocket>): CallerIdentity {
  // `authorized` is true only when the certificate chained to the listener's client CA (with
  // clientCertificate REQUEST an unverified certificate is let through, and is no identity).
  if (socket.encrypted !== true || socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return ANONYMOUS;
  const principal = spiffeUri(socket.getPeerCertificate().subjectaltname);
  if (principal === undefined) return ANONYMOUS;
  return Object.freeze({ principal, namespace: parseSpiffeId(principal)?.namespace });
}

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
