// Generated HTTP/1 request bytes: request lines (methods such as CONNECT and unknown tokens,
// absolute-form, asterisk, %-encodings, overlong targets, control characters, spaces), header fields
// (invalid characters, obs-fold, duplicated Host / Content-Length / Transfer-Encoding, huge counts and
// sizes), bodies framed by Content-Length or chunked (bad sizes, extensions, trailers, missing CRLFs,
// truncation), several requests pipelined, and byte-level damage.
import fc from 'fast-check';
import { damage, type ByteDamage } from './api-cases.js';

export const GOOD_HOST = 'web.test';

export interface Http1Case {
  /** The requests as written, pipelined on one connection. */
  readonly requests: readonly RawRequest[];
  /** Where the bytes are cut into separate writes (fractions of the length). */
  readonly splits: readonly number[];
  readonly damage: ByteDamage | undefined;
}

export interface RawRequest {
  readonly method: string;
  readonly bytes: Buffer;
  /** Framed as a well-formed request would be: the proxy owes it an answer before the client's FIN. */
  readonly wellFormed: boolean;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'FOO', 'get', 'G ET', '', 'M'.repeat(200), 'GET\u0000', 'MKCOL', 'PROPFIND', 'QUERY', 'SEARCH', 'M-SEARCH', 'ACL'];
const GOOD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];

const TARGETS = [
  '/', '/ping', '/path?q=1', `http://${GOOD_HOST}/x`, `HTTP://${GOOD_HOST.toUpperCase()}:80/y?z`, `https://${GOOD_HOST}:443/`, 'http://other.test/', 'http://user:pw@web.test/',
  '*', `${GOOD_HOST}:443`, '%', '/%00', '/%zz', '/%2e%2e/%2e%2e/etc/passwd', '/../../x', '/a b', '/\u0001', '/\u007f', '/ünï', '//double', '/#frag', '/?', '/;p',
  '', ' ', 'foo', 'http://', 'http:///x', `/${'a'.repeat(40_000)}`, `/?${'a=1&'.repeat(2000)}`, '/\t', '/\r', '/x\ny',
];
const GOOD_TARGETS = ['/', '/ping', '/path?q=1', `http://${GOOD_HOST}/x`, '/%2e%2e/%2e%2e/etc/passwd', '/../../x', '//double', '/?', '/;p', '/%zz', '/%00'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 ', '', 'HTTP/11', 'HTTP/1.1\u0000'];
const EOLS = ['\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n'];

const HOST_VALUES = [GOOD_HOST, `${GOOD_HOST}:80`, 'WEB.TEST', 'other.test', '[::1]', '[::1]:80', `${GOOD_HOST}:abc`, '', ' ', 'a'.repeat(10_000), 'web.test, other.test', 'web.test\u0000', '*', '_', '127.0.0.1'];
const CONTENT_LENGTHS = ['0', '1', '4', '10', '-1', '+4', '0x4', '4, 4', ' 4', '4 ', '99999999999999999999', '1e3', 'abc', '', '18446744073709551616'];
const TRANSFER_ENCODINGS = ['chunked', 'Chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'xchunked', 'chunked;q=1', ' chunked', 'chunked\u0000', ''];
const OTHER_HEADERS: Array<[string, string]> = [
  ['Connection', 'close'], ['Connection', 'keep-alive'], ['Connection', 'upgrade'], ['Connection', 'close, te'], ['Connection', 'x-foo'], ['Connection', 'content-length'],
  ['Upgrade', 'websocket'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'], ['Expect', '100-continue'], ['Expect', 'bogus'], ['TE', 'trailers'],
  ['X-Forwarded-For', '1.2.3.4'], ['X-Request-Id', ''], ['Proxy-Connection', 'keep-alive'], ['Keep-Alive', 'timeout=1'], ['Cookie', 'a=1; b'], ['Content-Type', 'text/plain'],
  ['X A', 'b'], ['X:A', 'b'], ['', 'empty name'], ['ü', 'x'], [':authority', GOOD_HOST], ['X-Obs', 'a\r\n folded'], ['X-Ctl', 'a\u0000b'], ['X-Ctl', 'a\u007fb'], ['X-Cr', 'a\rb'],
  ['X-Long', 'v'.repeat(40_000)], ['X-Sp ', 'b'], [' X-Lead', 'b'], ['X-Tab', '\tb\t'], ['X-Utf8', 'ünï'],
];

/** Mostly the good value, sometimes a bad one: most requests go through with one thing wrong. */
function mostly<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, goodWeight = 5): fc.Arbitrary<T> {
  return fc.oneof({ weight: goodWeight, arbitrary: good }, { weight: 1, arbitrary: bad });
}


interface Chunk {
  readonly size: string;
  readonly data: string;
  readonly eol: string;
}

const chunk: fc.Arbitrary<Chunk> = fc.record({
  data: fc.oneof(fc.constantFrom('', 'abc', 'hello world'), fc.string({ maxLength: 20 })),
  size: mostly(fc.constant('right'), fc.constantFrom('zz', '-1', 'fffffffffffffffff', 'right-space', ' right', 'right;ext=1', 'right;', '0xright', 'short', 'long', 'RIGHT'), 4),
  eol: mostly(fc.constant('\r\n'), fc.constantFrom('\n', '', '\r'), 6),
}).map(({ data, size, eol }) => {
  const len = Buffer.byteLength(data);
  const hex = len.toString(16);
  const text: Record<string, string> = { right: hex, RIGHT: hex.toUpperCase(), 'right-space': `${hex} `, ' right': ` ${hex}`, 'right;ext=1': `${hex};ext=1`, 'right;': `${hex};`, '0xright': `0x${hex}`, short: (Math.max(0, len - 1)).toString(16), long: (len + 3).toString(16) };
  return { size: text[size] ?? size, data, eol };
});

const body = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('none' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('length' as const), data: fc.constantFrom('', 'abcd', '{"a":1}', 'x'.repeat(70_000)), declared: mostly(fc.constant('right'), fc.constantFrom('shorter', 'longer', ...CONTENT_LENGTHS), 3) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('chunked' as const),
      chunks: fc.array(chunk, { maxLength: 4 }),
      end: mostly(fc.constantFrom('0\r\n\r\n', '0\r\nX-Trailer: 1\r\n\r\n'), fc.constantFrom('0\r\nContent-Length: 5\r\n\r\n', '0\r\nbad trailer\r\n\r\n', '0;ext\r\n\r\n', '0\r\n', '', '0\n\n', '00\r\n\r\n'), 3),
      te: mostly(fc.constant('chunked'), fc.constantFrom(...TRANSFER_ENCODINGS), 4),
    }),
  },
);

interface RequestParts {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly eol: string;
  readonly hosts: readonly string[];
  readonly others: ReadonlyArray<[string, string]>;
  readonly extraLengths: readonly string[];
  readonly extraEncodings: readonly string[];
  readonly many: number;
  readonly body: { kind: 'none' } | { kind: 'length'; data: string; declared: string } | { kind: 'chunked'; chunks: readonly Chunk[]; end: string; te: string };
}

const goodParts = fc.record({
  method: fc.constantFrom(...GOOD_METHODS),
  target: fc.constantFrom(...GOOD_TARGETS),
  version: fc.constant('HTTP/1.1'),
  eol: fc.constant('\r\n'),
  hosts: fc.constant([GOOD_HOST]),
  others: fc.constant([]),
  extraLengths: fc.constant([]),
  extraEncodings: fc.constant([]),
  many: fc.integer({ min: 0, max: 6 }),
  body: fc.oneof(
    fc.record({ kind: fc.constant('none' as const) }),
    fc.record({ kind: fc.constant('length' as const), data: fc.constantFrom('abcd', '{"a":1}', 'x'.repeat(70_000)), declared: fc.constant('right') }),
    fc.record({ kind: fc.constant('chunked' as const), chunks: fc.array(chunk.filter((c) => c.eol === '\r\n' && /^[0-9a-f]+$/.test(c.size) && parseInt(c.size, 16) === Buffer.byteLength(c.data)), { maxLength: 3 }), end: fc.constant('0\r\n\r\n'), te: fc.constant('chunked') }),
  ),
}) as fc.Arbitrary<RequestParts>;

const badParts = fc.record({
  method: fc.oneof(fc.constantFrom(...METHODS), fc.string({ unit: 'binary-ascii', maxLength: 12 })),
  target: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TARGETS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => `/${s}`) }),
  version: fc.constantFrom(...VERSIONS),
  eol: fc.constantFrom(...EOLS),
  hosts: fc.array(fc.constantFrom(...HOST_VALUES), { maxLength: 3 }),
  others: fc.array(fc.constantFrom(...OTHER_HEADERS), { minLength: 1, maxLength: 4 }),
  extraLengths: fc.array(fc.constantFrom(...CONTENT_LENGTHS), { minLength: 1, maxLength: 2 }),
  extraEncodings: fc.array(fc.constantFrom(...TRANSFER_ENCODINGS), { minLength: 1, maxLength: 2 }),
  many: fc.constantFrom(100, 1000, 5000),
  body,
}) as fc.Arbitrary<RequestParts>;

const PARTS = ['method', 'target', 'version', 'eol', 'hosts', 'others', 'extraLengths', 'extraEncodings', 'many', 'body'] as const;

/**
 * A good request with one part made bad (most cases: the proxy's answer to that one thing shows), a
 * good request, or one where every part is bad.
 */
const request: fc.Arbitrary<RawRequest> = fc
  .record({ good: goodParts, bad: badParts, which: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PARTS) }, { weight: 3, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constant('all') }) })
  .map(({ good, bad, which }): RequestParts => (which === 'none' ? good : which === 'all' ? bad : { ...good, [which]: bad[which as keyof RequestParts] }))
  .map((r): RawRequest => {
    const headers: Array<[string, string]> = r.hosts.map((h) => ['Host', h]);
    headers.push(...r.others);
    let payload = '';
    let framedRight = true;
    switch (r.body.kind) {
      case 'length': {
        const len = Buffer.byteLength(r.body.data);
        const declared = { right: String(len), shorter: String(Math.max(0, len - 2)), longer: String(len + 5) }[r.body.declared as 'right'] ?? r.body.declared;
        framedRight = declared === String(len);
        headers.push(['Content-Length', declared]);
        payload = r.body.data;
        break;
      }
      case 'chunked':
        headers.push(['Transfer-Encoding', r.body.te]);
        payload = r.body.chunks.map((c) => `${c.size}\r\n${c.data}${c.eol}`).join('') + r.body.end;
        framedRight = r.body.te === 'chunked' && (r.body.end === '0\r\n\r\n' || r.body.end === '0\r\nX-Trailer: 1\r\n\r\n') && r.body.chunks.every((c) => c.eol === '\r\n' && c.size === Buffer.byteLength(c.data).toString(16));
        break;
    }
    for (const cl of r.extraLengths) headers.push(['Content-Length', cl]);
    for (const te of r.extraEncodings) headers.push(['Transfer-Encoding', te]);
    for (let i = 0; i < r.many; i++) headers.push([`X-Many-${i}`, String(i)]);
    const head = `${r.method} ${r.target} ${r.version}${r.eol}${headers.map(([n, v]) => `${n}: ${v}${r.eol}`).join('')}${r.eol}`;
    const wellFormed = GOOD_METHODS.includes(r.method) && GOOD_TARGETS.includes(r.target) && r.version === 'HTTP/1.1' && r.eol === '\r\n' && r.hosts.length === 1 && r.hosts[0] === GOOD_HOST &&
      r.others.length === 0 && r.extraLengths.length === 0 && r.extraEncodings.length === 0 && r.many < 100 && framedRight;
    return { method: r.method, bytes: Buffer.from(head + payload, 'latin1'), wellFormed };
  });

const byteDamage: fc.Arbitrary<ByteDamage> = fc.record({
  op: fc.constantFrom('truncate', 'insert', 'overwrite', 'double', 'drop'),
  at: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});

export const http1Case: fc.Arbitrary<Http1Case> = fc.record({
  requests: fc.array(request, { minLength: 1, maxLength: 3 }),
  splits: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  damage: fc.option(byteDamage, { freq: 4, nil: undefined }),
});

/** The bytes of a case as written, damage included. */
export function caseBytes(c: Http1Case): Buffer {
  const bytes = Buffer.concat(c.requests.map((r) => r.bytes));
  return c.damage === undefined ? bytes : damage(bytes, c.damage);
}

/** Whether every request is well formed and the bytes are undamaged: the proxy owes an answer to each. */
export function expectsAnswers(c: Http1Case): boolean {
  return c.damage === undefined && c.requests.every((r) => r.wellFormed);
}
