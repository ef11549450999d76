// The x-forwarded-client-cert header the application behind a proxy receives: who called, as the
// proxy verified it, in Envoy's format (`By=<this proxy's SPIFFE ID>;Hash=<SHA-256 of the caller's
// certificate, hex>;URI=<the caller's SPIFFE ID>`, as Envoy's SANITIZE_SET forwards it). A value the
// client sent is never passed on (Session drops it): only a verified caller gets one. Computed once
// per connection: every request on it has the same caller.
import { createHash } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';
import { callerIdentity } from '../authorization/caller-identity.js';

export const FORWARDED_CLIENT_CERT = 'x-forwarded-client-cert';

const byConnection = new WeakMap<object, string | null>();

/** The header's value for requests on `socket`, or undefined when its caller is not a verified workload. */
export function forwardedClientCert(socket: object): string | undefined {
  let value = byConnection.get(socket);
  if (value === undefined) byConnection.set(socket, (value = compute(socket as TLSSocket)));
  return value ?? undefined;
}

function compute(socket: TLSSocket): string | null {
  const caller = callerIdentity(socket).principal;
  if (caller === undefined) return null;
  const peer = socket.getPeerCertificate();
  const by = spiffeUri((socket.getCertificate() as PeerCertificate | null)?.subjectaltname);
  const hash = peer.raw === undefined ? '' : createHash('sha256').update(peer.raw).digest('hex');
  return `${by === undefined ? '' : `By=${by};`}Hash=${hash};URI=${caller}`;
}
