// Parses an upstream's HTTP/1.1 response head (status line and headers) strictly: anything that could
// make the proxy and a client disagree on where the body ends is an error (RFC 9112 §6.3).
import { HeaderList } from '../header-list.js';
import { BAD_FIELD_VALUE, TCHAR } from './field-syntax.js';
import { connectionTokens, HOP_BY_HOP, removeConnectionNamed } from './hop-by-hop.js';

/** How the response body is delimited. */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** End-to-end headers only: hop-by-hop ones (and those the Connection header names) are removed. */
  readonly headers: HeaderList;
  readonly framing: BodyFraming;
  /** Body length when framing is 'length'. */
  readonly contentLength: number;
  /** The upstream will close (or must be closed) after this response. */
  readonly close: boolean;
}

export type HeadResult = { ok: true; head: ResponseHead } | { ok: false; error: string };

const DIGITS = /^\d{1,15}$/;
/** What String.prototype.trim takes off a latin1 string: TAB, LF, VT, FF, CR, SP, NBSP. */
function isTrimmed(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 160;
}
/**
 * Lowercase forms of the header names upstreams send (`Content-Type`, `Date`, `Server`...), so each
 * response does not lowercase them into new strings again; bounded, so odd names cannot grow it.
 */
const lowerNames = new Map<string, string>();
const MAX_LOWER_NAMES = 256;
const KEEP_ALIVE: readonly string[] = ['keep-alive'];
const CLOSE: readonly string[] = ['close'];

function lowerName(name: string): string {
  const known = lowerNames.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  if (lowerNames.size < MAX_LOWER_NAMES) lowerNames.set(name, lower);
  return lower;
}

/** The tokens of a Connection value; the two common single values without splitting. */
function connectionTokensOf(value: string): readonly string[] {
  if (value === 'keep-alive' || value === 'Keep-Alive') return KEEP_ALIVE;
  if (value === 'close' || value === 'Close') return CLOSE;
  return connectionTokens(value);
}

/** `HTTP/1.x SSS[ reason]`: the minor version and status, or undefined. */
function statusOf(text: string, end: number): { http10: boolean; status: number } | undefined {
  if ((end !== 12 && (end < 13 || text.charCodeAt(12) !== 32)) || !text.startsWith('HTTP/1.')) return undefined;
  const minor = text.charCodeAt(7);
  if ((minor !== 48 && minor !== 49) || text.charCodeAt(8) !== 32) return undefined;
  const d1 = text.charCodeAt(9) - 48;
  const d2 = text.charCodeAt(10) - 48;
  const d3 = text.charCodeAt(11) - 48;
  if (d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return undefined;
  for (let i = 13; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10) return undefined;
  }
  return { http10: minor === 48, status: d1 * 100 + d2 * 10 + d3 };
}

/**
 * Parses `text`: the head up to, not including, the blank line's CRLF CRLF. `requestMethod` decides
 * whether a body can follow (HEAD never has one). Lines are found by index, not split into an array,
 * and each name and value is sliced once: this runs for every proxied response.
 */
export function parseResponseHead(text: string, requestMethod: string): HeadResult {
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const statusLine = statusOf(text, eol);
  if (statusLine === undefined) return { ok: false, error: 'bad status line' };
  const { http10, status } = statusLine;
  const reason = eol > 13 ? text.slice(13, eol) : '';
  const raw: string[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: readonly string[] | undefined;
  for (let start = eol + 2; start <= text.length && eol < text.length; start = eol + 2) {
    eol = text.indexOf('\r\n', start);
    if (eol < 0) eol = text.length;
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= eol || colon === start) {
      const first = text.charCodeAt(start);
      return { ok: false, error: eol > start && (first === 32 || first === 9) ? 'obs-fold in header' : 'bad header line' };
    }
    for (let i = start; i < colon; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || TCHAR[c] === 0) return { ok: false, error: 'bad header name' };
    }
    let from = colon + 1;
    let to = eol;
    while (from < to && isTrimmed(text.charCodeAt(from))) from++;
    while (to > from && isTrimmed(text.charCodeAt(to - 1))) to--;
    const value = text.slice(from, to);
    if (BAD_FIELD_VALUE.test(value)) return { ok: false, error: 'bad character in header value' };
    const lower = lowerName(text.slice(start, colon));
    if (lower === 'content-length') {
      if (!DIGITS.test(value)) return { ok: false, error: 'bad content-length' };
      const n = Number(value);
      if (contentLength !== -1 && contentLength !== n) return { ok: false, error: 'conflicting content-length' };
      if (contentLength === -1) raw.push(lower, value);
      contentLength = n;
      continue;
    }
    if (lower === 'transfer-encoding') {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      continue;
    }
    if (lower === 'connection') {
      const tokens = connectionTokensOf(value);
      connection = connection === undefined ? tokens : connection.concat(tokens);
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    raw.push(lower, value);
  }

  let close = http10 ? !(connection?.includes('keep-alive') ?? false) : (connection?.includes('close') ?? false);
  if (connection !== undefined) removeConnectionNamed(raw, connection);
  let framing: BodyFraming;
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) {
    framing = 'none';
  } else if (transferEncoding !== undefined) {
    if (contentLength !== -1) return { ok: false, error: 'both content-length and transfer-encoding' };
    const codings = connectionTokens(transferEncoding);
    if (codings[codings.length - 1] === 'chunked') {
      if (codings.length > 1) return { ok: false, error: 'unsupported transfer-encoding' };
      framing = 'chunked';
    } else {
      framing = 'close';
      close = true;
    }
  } else if (contentLength !== -1) {
    framing = 'length';
  } else {
    framing = 'close';
    close = true;
  }
  return {
    ok: true,
    head: { status, reason, headers: new HeaderList(raw), framing, contentLength: framing === 'length' ? contentLength : 0, close },
  };
}

