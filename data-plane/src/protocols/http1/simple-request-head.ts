// Recognises the request heads the proxy's own HTTP/1.1 reader serves (h1-downstream.ts): a complete,
// well-formed HTTP/1.1 head with a Host (or HTTP/1.0), no body, no upgrade and no expectation, in
// origin form, of plain visible ASCII. Anything else, valid or not, is left to node:http's llhttp,
// whose answers (400, 431, 100 Continue, upgrades, bodies) then stay exactly what they are: this
// reader never refuses a request, it only declines to read it.

import { connectionTokens } from './hop-by-hop.js';

/** A head the reader serves: the fields node:http's IncomingMessage would give. */
export interface SimpleRequestHead {
  readonly method: string;
  /** The request target, origin form (`/path?query`). */
  readonly url: string;
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  readonly minor: number;
  /** `[name, value, ...]` as sent (names in their case, values trimmed). */
  readonly rawHeaders: string[];
  /** The connection may serve another request: HTTP/1.1 without `Connection: close`, HTTP/1.0 with `Connection: keep-alive`. */
  readonly keepAlive: boolean;
}

// One pass over the whole head by V8's compiled regular expression: request line, then header lines
// of a token, a colon and visible ASCII or tabs (no obs-fold, no bare LF, no other control bytes).
const HEAD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) (\/[\x21-\x7e]*) HTTP\/1\.([01])((?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*)*)$/;

/**
 * `head` is the latin1 text before the blank line. Undefined: node:http reads this one (and the rest
 * of the connection).
 */
export function parseSimpleRequestHead(head: string, maxHeaderCount: number): SimpleRequestHead | undefined {
  const m = HEAD.exec(head);
  if (m === null) return undefined;
  const rawHeaders: string[] = [];
  let close = false;
  let keepAlive = false;
  let host = false;
  const minor = m[3] === '1' ? 1 : 0;
  const fields = m[4]!;
  // fields starts with "\r\n" (or is empty): each line runs from after one CRLF to the next.
  let at = 2;
  while (at <= fields.length) {
    let next = fields.indexOf('\r\n', at);
    if (next < 0) next = fields.length;
    const colon = fields.indexOf(':', at);
    const name = fields.slice(at, colon);
    const value = trimOws(fields, colon + 1, next);
    at = next + 2;
    if (rawHeaders.length >= 2 * maxHeaderCount) return undefined;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') host = true;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') return undefined;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') return undefined;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          const tokens = connectionTokens(value);
          if (tokens.includes('upgrade')) return undefined;
          if (tokens.includes('close')) close = true;
          if (tokens.includes('keep-alive')) keepAlive = true;
        }
        break;
      case 14:
        // Content-Length: 0 is a request without a body; any other length is node:http's to read.
        if (name.toLowerCase() === 'content-length' && value !== '0') return undefined;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return undefined;
        break;
    }
    rawHeaders.push(name, value);
  }
  // node:http answers an HTTP/1.1 request without Host 400 itself.
  if (!host && minor === 1) return undefined;
  return { method: m[1]!, url: m[2]!, minor, rawHeaders, keepAlive: !close && (minor === 1 || keepAlive) };
}

/** The value between `from` and `to` without leading and trailing spaces and tabs. */
function trimOws(s: string, from: number, to: number): string {
  while (from < to && (s.charCodeAt(from) === 32 || s.charCodeAt(from) === 9)) from++;
  while (to > from && (s.charCodeAt(to - 1) === 32 || s.charCodeAt(to - 1) === 9)) to--;
  return s.slice(from, to);
}
