// Parses an upstream's HTTP/1.1 response head (status line and headers) strictly: anything that could
// make the proxy and a client disagree on where the body ends is an error (RFC 9112 §6.3).
import { HeaderList } from '../header-list.js';
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

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r\n]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: visible ASCII, space, tab and obs-text; no NUL, CR, LF or other controls. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const DIGITS = /^\d{1,15}$/;

/**
 * Parses `text`: the head up to, not including, the blank line's CRLF CRLF. `requestMethod` decides
 * whether a body can follow (HEAD never has one).
 */
export function parseResponseHead(text: string, requestMethod: string): HeadResult {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0]!);
  if (m === null) return { ok: false, error: 'bad status line' };
  const http10 = m[1] === '0';
  const status = Number(m[2]);
  const raw: string[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: string[] | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, error: line.length > 0 && (line[0] === ' ' || line[0] === '\t') ? 'obs-fold in header' : 'bad header line' };
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return { ok: false, error: 'bad header name' };
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE.test(value)) return { ok: false, error: 'bad character in header value' };
    const lower = name.toLowerCase();
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
      connection = (connection ?? []).concat(connectionTokens(value));
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
    head: { status, reason: m[3] ?? '', headers: new HeaderList(raw), framing, contentLength: framing === 'length' ? contentLength : 0, close },
  };
}

