// Who is calling: the SPIFFE ID in the URI SAN of the client certificate the listener's TLS verified
// (Istio's source.principal), and the namespace in its `/ns/<namespace>/` segment. Read once per
// connection: every request on it has the same caller.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parseSpiffeId } from '../../../proto/src/identity/spiffe-id.js';
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';

export interface CallerIdentity {
  /** The SPIFFE ID; undefined for plain text, no certificate, an unverified one, or no single SPIFFE URI SAN. */
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
}

export const ANONYMOUS: CallerIdentity = Object.freeze({ principal: undefined, namespace: undefined });

/** By socket (an HTTP/2 request's socket is its session's, so the streams of one session share it). */
const byConnection = new WeakMap<object, CallerIdentity>();

/** The caller of a request that arrived on `socket` (a net.Socket or a TLSSocket). */
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

/** The connection's socket: an HTTP/2 request's is its connection's too (protocols/http2/h2-request.ts). */
export function connectionOf(req: IncomingMessage): object {
  return req.socket;
}
