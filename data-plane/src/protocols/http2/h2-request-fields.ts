// The fields of HTTP/2 requests and responses as the server session reads and writes them: a request
// checked as RFC 9113 §8.3 asks and read into node's header object, trailers checked, and a response
// head flattened for HPACK.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { isToken } from '../http1/field-syntax.js';
import { isValidField } from './codec/field-name.js';

/** Connection-specific fields a request may not carry (RFC 9113 §8.2.2); `te` only as `trailers`. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** The response head or trailers as flat fields, pseudo-headers first (:status). */
export function fieldsOf(headers: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  const status = headers[':status'];
  if (status !== undefined) out.push(':status', String(status));
  for (const name in headers) {
    if (name === ':status') continue;
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(lower, String(v));
    else out.push(lower, String(value));
  }
  return out;
}

export interface ParsedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly contentLength: number;
}

/**
 * A request's fields checked as RFC 9113 §8.3 asks (pseudo-headers first, each once, :method, :scheme
 * and :path present except for CONNECT; lowercase token names; no connection-specific fields; values
 * without CR, LF or NUL) and read into node's header object: the reason it is malformed otherwise.
 */
export function readRequest(fields: string[]): ParsedRequest | string {
  // No prototype: a field named `constructor` or `__proto__` is a field like any other.
  const headers = Object.create(null) as IncomingHttpHeaders;
  let regular = false;
  let contentLength = -1;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name.charCodeAt(0) === 58 /* : */) {
      if (regular) return 'a pseudo-header after a regular field';
      if (name !== ':method' && name !== ':scheme' && name !== ':path' && name !== ':authority') return `the pseudo-header ${name}`;
      if (headers[name] !== undefined) return `${name} twice`;
      headers[name] = value;
      continue;
    }
    regular = true;
    if (!isValidField(name, value) || hasOuterWhitespace(value)) return 'a field that is not a lowercase token, or a value with a control character or outer whitespace';
    // Host stands in for a missing :authority: the same grammar holds.
    if (name === 'host' && !AUTHORITY.test(value)) return 'an invalid host';
    if (CONNECTION_SPECIFIC.has(name)) return `the connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than trailers';
    if (name === 'content-length') {
      if (!/^[0-9]{1,15}$/.test(value) || (contentLength >= 0 && Number(value) !== contentLength)) return 'an invalid content-length';
      contentLength = Number(value);
    }
    const had = headers[name];
    if (had === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(had)) had.push(value);
    else headers[name] = name === 'cookie' ? `${had}; ${value}` : `${had}, ${value}`;
  }
  const method = headers[':method'] as string | undefined;
  const authority = headers[':authority'] as string | undefined;
  const path = headers[':path'] as string | undefined;
  const scheme = headers[':scheme'] as string | undefined;
  // The pseudo-headers become an HTTP/1.1 request line and Host upstream: a byte out of place there
  // would split or rewrite the request (smuggling), so each is held to its grammar.
  if (method === undefined || !isToken(method)) return 'no valid :method';
  if (authority !== undefined && !AUTHORITY.test(authority)) return 'an invalid :authority';
  if (method === 'CONNECT') {
    if (authority === undefined || path !== undefined || scheme !== undefined) return 'a CONNECT without :authority alone';
    return { headers, contentLength };
  }
  if (scheme === undefined || !SCHEME.test(scheme)) return 'no valid :scheme';
  if (path === undefined || !(ORIGIN_FORM.test(path) || (path === '*' && method === 'OPTIONS'))) return 'no valid :path';
  return { headers, contentLength };
}

/** Origin-form targets (RFC 9112 §3.2.1): a slash, then visible ASCII (no space, control byte or DEL). */
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
/** host[:port]: reg-name, IPv4 or a bracketed IPv6 literal; no userinfo, no space or control byte. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::[0-9]{1,5})?$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** RFC 9113 §8.2.1: a value may not begin or end with SP or HTAB (HTTP/1.1's parser strips them). */
function hasOuterWhitespace(value: string): boolean {
  if (value.length === 0) return false;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first === 32 || first === 9 || last === 32 || last === 9;
}

/** Trailers hold regular fields only, each valid (RFC 9113 §8.1). */
export function validTrailers(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) === 58 /* : */ || !isValidField(name, fields[i + 1]!)) return false;
  }
  return true;
}
