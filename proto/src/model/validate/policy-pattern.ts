// The value patterns of authorization rules, after Istio's: exact, `*` alone, or one `*` at the start
// (suffix match) or at the end (prefix match). Both planes use `globParts`: validation here, the
// proxy's matcher in data-plane/src/authorization/.
import { parseSpiffeId } from '../../identity/spiffe-id.js';
import type { FieldErrors } from '../field-error.js';
import { isHostName } from './syntax.js';
import { NAMESPACE } from './workload-selector.js';

/** HTTP methods an Operation may name (RFC 9110 §9 and RFC 5789's PATCH). */
export const POLICY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

export type GlobParts =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact' | 'prefix' | 'suffix'; readonly text: string }
  | { readonly kind: 'invalid' };

/** Splits a pattern: `*` → any, `abc*` → prefix, `*abc` → suffix, no `*` → exact; any other `*` is invalid. */
export function globParts(pattern: string): GlobParts {
  if (pattern === '*') return { kind: 'any' };
  const stars = pattern.split('*').length - 1;
  if (stars === 0) return { kind: 'exact', text: pattern };
  if (stars > 1) return { kind: 'invalid' };
  if (pattern.endsWith('*')) return { kind: 'prefix', text: pattern.slice(0, -1) };
  if (pattern.startsWith('*')) return { kind: 'suffix', text: pattern.slice(1) };
  return { kind: 'invalid' };
}

const GLOB_HELP = '"*" alone, or one "*" at the start or the end';
const SPIFFE_CHARS = /^[A-Za-z0-9._\-/:]+$/;
const NAMESPACE_CHARS = /^[a-z0-9-]+$/;
const HOST_CHARS = /^[A-Za-z0-9._-]+$/;
const PRINTABLE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

export function checkPrincipal(value: string, path: string, errors: FieldErrors): void {
  const g = globParts(value);
  const ok = g.kind === 'any'
    || (g.kind === 'exact' && parseSpiffeId(value) !== undefined)
    || (g.kind === 'prefix' && g.text.startsWith('spiffe://') && SPIFFE_CHARS.test(g.text))
    || (g.kind === 'suffix' && g.text !== '' && SPIFFE_CHARS.test(g.text));
  if (!ok) errors.add(path, `"${value}" is not a SPIFFE ID (spiffe://<trust-domain>/<path>, e.g. spiffe://sluice.local/ns/shop/sa/frontend): use one, ${GLOB_HELP}`);
}

export function checkNamespacePattern(value: string, path: string, errors: FieldErrors): void {
  const g = globParts(value);
  const ok = g.kind === 'any' || (g.kind === 'exact' && NAMESPACE.test(value)) || ((g.kind === 'prefix' || g.kind === 'suffix') && NAMESPACE_CHARS.test(g.text));
  if (!ok) errors.add(path, `"${value}" is not a namespace (lowercase letters, digits and '-') or a pattern: ${GLOB_HELP}`);
}

export function checkHostValue(value: string, path: string, errors: FieldErrors): void {
  const g = globParts(value);
  const ok = g.kind === 'any' || (g.kind === 'exact' && isHostName(value)) || ((g.kind === 'prefix' || g.kind === 'suffix') && HOST_CHARS.test(g.text));
  if (!ok) errors.add(path, `"${value}" is not a host name (without port) or a pattern: ${GLOB_HELP}`);
}

export function checkPathValue(value: string, path: string, errors: FieldErrors): void {
  const g = globParts(value);
  const ok = g.kind === 'any' || ((g.kind === 'exact' || g.kind === 'prefix') && g.text.startsWith('/') && PRINTABLE.test(g.text)) || (g.kind === 'suffix' && PRINTABLE.test(g.text));
  if (!ok) errors.add(path, `"${value}" is not a path (starting with "/", no spaces) or a pattern: ${GLOB_HELP}`);
}

export function checkMethod(value: string, path: string, errors: FieldErrors): void {
  if (!POLICY_METHODS.has(value)) errors.add(path, `"${value}" is not an HTTP method: use one of ${[...POLICY_METHODS].join(', ')}`);
}

export function checkHeaderValue(value: string, path: string, errors: FieldErrors): void {
  const g = globParts(value);
  const ok = g.kind === 'any' || (g.kind !== 'invalid' && g.text !== '' && PRINTABLE.test(g.text));
  if (!ok) errors.add(path, `"${value}" is not a header value (printable, no leading or trailing space) or a pattern: ${GLOB_HELP}`);
}
