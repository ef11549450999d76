// SPIFFE IDs, the workload identities in the URI SAN of every mesh certificate: the one spelling both
// planes use (spiffe://<trust-domain>/ns/<namespace>/sa/<service-account> in Kubernetes,
// spiffe://<trust-domain>/svc/<service> elsewhere), following the SPIFFE ID specification.

export const DEFAULT_TRUST_DOMAIN = 'sluice.local';

/** A parsed SPIFFE ID; `namespace` and `serviceAccount`, or `service`, when the path has our shape. */
export interface SpiffeId {
  readonly uri: string;
  readonly trustDomain: string;
  /** The path after the trust domain, with its leading slash. */
  readonly path: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly service?: string;
}

// SPIFFE ID spec §2.1: lowercase letters, digits, dots, dashes and underscores.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
// §2.2: segments of letters, digits, dots, dashes and underscores; no empty, `.` or `..` segment.
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_URI_LENGTH = 2048;

/** Why `trustDomain` is not a valid SPIFFE trust domain, or undefined when it is. */
export function trustDomainProblem(trustDomain: string): string | undefined {
  return TRUST_DOMAIN.test(trustDomain)
    ? undefined
    : 'must be 1 to 255 lowercase letters, digits, dots, dashes or underscores (SPIFFE trust domain)';
}

export function serviceSpiffeId(trustDomain: string, service: string): string {
  return `spiffe://${trustDomain}/svc/${service}`;
}

export function serviceAccountSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Parses a SPIFFE ID; undefined when `uri` is not one (wrong scheme, bad trust domain or path). */
export function parseSpiffeId(uri: string): SpiffeId | undefined {
  if (uri.length > MAX_URI_LENGTH || !uri.startsWith('spiffe://')) return undefined;
  const rest = uri.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  if (trustDomainProblem(trustDomain) !== undefined) return undefined;
  const path = slash < 0 ? '' : rest.slice(slash);
  const segments = path === '' ? [] : path.slice(1).split('/');
  if (segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) return undefined;
  if (segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa') {
    return { uri, trustDomain, path, namespace: segments[1], serviceAccount: segments[3] };
  }
  if (segments.length === 2 && segments[0] === 'svc') return { uri, trustDomain, path, service: segments[1] };
  return { uri, trustDomain, path };
}
