// The control plane's own identity on the discovery port (with --discovery-tls): a mesh certificate
// whose URI SAN is spiffe://<trust domain>/control-plane. Proxies check that name rather than a host
// name, so the certificate serves whatever address they dial. No bootstrap token can name it: tokens
// are scoped to spiffe://<trust domain>/svc/<service>.
import { parseSpiffeId } from './spiffe-id.js';
import { spiffeUri } from './subject-alt-name.js';

export const CONTROL_PLANE_SPIFFE_PATH = '/control-plane';

/** The TLS server name proxies send (SNI): a name, since RFC 6066 §3 forbids IP addresses there. */
export const CONTROL_PLANE_TLS_NAME = 'control-plane.sluice';

export function controlPlaneSpiffeId(trustDomain: string): string {
  return `spiffe://${trustDomain}${CONTROL_PLANE_SPIFFE_PATH}`;
}

/** Whether a certificate's subjectAltName (node:tls spelling, `URI:spiffe://..., DNS:...`) names the control plane. */
export function namesControlPlane(subjectAltName: string | undefined): boolean {
  const uri = spiffeUri(subjectAltName);
  return uri !== undefined && parseSpiffeId(uri)?.path === CONTROL_PLANE_SPIFFE_PATH;
}
