// RFC 7541 Appendix A: the 61 entries both sides know without sending them. Index 0 is never valid,
// so the arrays keep a hole there and the RFC's numbers index them directly.

/** Entries in the static table; dynamic entries start at index STATIC_TABLE_LENGTH + 1. */
export const STATIC_TABLE_LENGTH = 61;

// Appendix A, in order (checked against nghttp2's lib/nghttp2_hd.c, which is generated from the RFC).
const ENTRIES: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/** STATIC_NAMES[i] is entry i's name (1..61); [0] is an unused hole. */
export const STATIC_NAMES: readonly string[] = ['', ...ENTRIES.map((e) => e[0])];
/** STATIC_VALUES[i] is entry i's value ('' for the name-only entries). */
export const STATIC_VALUES: readonly string[] = ['', ...ENTRIES.map((e) => e[1])];

/** Name → the lowest index with that name: what a literal with an indexed name refers to. */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = new Map(
  [...ENTRIES.entries()].reverse().map(([i, [name]]) => [name, i + 1]),
);

/**
 * Name → (value → index): exact matches, sent as one indexed byte. Two levels instead of one map keyed
 * by name + value, so a lookup never builds a concatenated key on the hot path. The name-only entries
 * hold the empty value, which is an exact match too.
 */
export const STATIC_VALUE_INDEX: ReadonlyMap<string, ReadonlyMap<string, number>> = (() => {
  const byName = new Map<string, Map<string, number>>();
  ENTRIES.forEach(([name, value], i) => {
    let values = byName.get(name);
    if (values === undefined) byName.set(name, (values = new Map()));
    values.set(value, i + 1);
  });
  return byName;
})();
