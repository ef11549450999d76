// Values that break validators: wrong types, numbers out of every range, NaN-ish and unicode strings,
// very long strings, deep nesting, YAML tags, anchors and alias bombs.
import fc from 'fast-check';
import { Alias, Anchored, Entries, Raw, Tagged } from './document-text.js';

const SPECIAL: readonly unknown[] = [
  null, true, false, 0, -0, -1, 1.5, -2.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 63),
  1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity,
  '', ' ', '0', '-1', '1.5', '65536', '99999999999999999999', 'NaN', 'Infinity', '-Infinity', '1e999', '0x1F', ' 12', '12 ', '+5', '-0',
  '١٢', 'true', 'null', 'undefined', '[]', '{}', '\u0000', '\ud800', '\udfff', '💥', 'e\u0301', '\u202e', '\ufeff', 'ǅ', 'İ', 'ß',
  '*', '*.', '.', '..', '/', '//', '/..', '-', 'a b', 'a\nb', 'A', 'UPPER', '__proto__', 'constructor',
  'ROUND_ROBIN', 'HTTP', 'HTTPS', 'H2C', 'CONNECT_FAILURE', 'LOAD_BALANCING_UNSPECIFIED', 'round_robin', 'GET', 'get',
  '(', '[', '(?<', '(a+)+$', '\\', '\\u0000', '%00', '%zz', '127.0.0.1', '::1', '[::1]', '0.0.0.0', '256.1.1.1', 'localhost',
  '-----BEGIN CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', '[redacted]',
  [], {}, [null], [[]], [{}], { '': null },
];

/** Scalar texts a YAML or JSON parser reads in surprising ways (out of range, other notations). */
const RAW_SCALARS = [
  '1e400', '-1e400', '1E2', '0x10', '0o17', '0b101', '+12', '-0', '00012', '1_000', '.5', '5.', '1e-400',
  '123456789012345678901234567890', '-9223372036854775809', '18446744073709551616', '4294967296', '.inf', '-.inf', '.nan',
  '~', 'yes', 'no', 'on', 'off', 'Null', 'TRUE', '0.0', '2001-12-14t21:59:43.10-05:00', '12:30:00', '0777', '0o', '-',
];

/** YAML tags, core and 1.1 schema, unknown local and verbatim ones. */
export const TAGS = [
  '!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq', '!!binary', '!!timestamp', '!!set', '!!omap', '!!pairs',
  '!!merge', '!!value', '!custom', '!', '!<tag:yaml.org,2002:str>', '!<tag:yaml.org,2002:js/function>', '!!python/object:os.system',
];

/**
 * Lengths for long strings: up to a few MiB, around etcd's 1.5 MiB request limit and the API's 4 MiB
 * body limit; the large ones are rarer, so the suite's run stays quick.
 */
export const longLength: fc.Arbitrary<number> = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom(256, 4096) },
  { weight: 4, arbitrary: fc.constant(65_536) },
  { weight: 1, arbitrary: fc.constantFrom(1_048_576, 1_600_000, 3_500_000) },
);

const nestDepth = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(63, 64, 65, 1000) }, { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000) });

/** `[[[...]]]` or `{"a":{"a":...}}`, `depth` levels: valid JSON and valid YAML flow style. */
export const deepNesting: fc.Arbitrary<Raw> = fc.tuple(nestDepth, fc.boolean()).map(([d, arrays]) =>
  arrays ? new Raw('['.repeat(d) + ']'.repeat(d)) : new Raw('{"a":'.repeat(d) + '1' + '}'.repeat(d)),
);

/** `levels` of anchors, each aliasing the previous one `fanout` times, in flow style (billion laughs). */
export function aliasBomb(levels: number, fanout: number): Raw {
  const parts = ['a0: &a0 ["lol", "lol"]'];
  for (let i = 1; i < levels; i++) parts.push(`a${i}: &a${i} [${Array.from({ length: fanout }, () => `*a${i - 1}`).join(', ')}]`);
  return new Raw(`{${parts.join(', ')}}`);
}

export const aliasBombs: fc.Arbitrary<Raw> = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 10 })).map(([l, f]) => aliasBomb(l, f));

export const unicodeString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\n', '\r', '\t', '"', '\\', '\u2028', '\ud800', '\udfff', '%', '*', '&', '!', '{', '[', ':', '#', '-', '?', '|', '>', "'", ' ', 'a', '.'), maxLength: 20 }),
);

/** A long string: `x` repeated, or a slice of `seed` repeated (a PEM header over and over). */
export function longString(seed: string): fc.Arbitrary<string> {
  return fc.tuple(longLength, fc.nat(), fc.nat()).map(([length, from, span]) => {
    const text = seed === '' ? 'x' : seed;
    const start = from % text.length;
    const piece = text.slice(start, start + 1 + (span % Math.max(1, text.length - start))) || 'x';
    return piece.repeat(Math.ceil(length / piece.length)).slice(0, length);
  });
}

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }) },
  { weight: 3, arbitrary: unicodeString },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_SCALARS).map((t) => new Raw(t)) },
);

/** Any bad value for any field; YAML-only markers (tags, aliases) come in `yamlValue`. */
export const nastyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 10, arbitrary: scalar },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.dictionary(fc.oneof(unicodeString, fc.constantFrom('name', 'kind', 'port', 'address', 'cluster', '__proto__')), tie('value'), { maxKeys: 4 }) },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: longString('x') },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('port', 'name', 'kind', 'a'), scalar, scalar).map(([k, a, b]) => new Entries([[k, a], [k, b]])) },
  ),
})).value;

/** A bad value that only YAML can say: tagged, anchored, an alias (maybe unresolved), an alias bomb. */
export const yamlValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(fc.constantFrom(...TAGS), fc.oneof(scalar, fc.constant('aGVsbG8='), fc.constant('2001-12-14'), fc.constant([]), fc.constant({ a: null }))).map(([tag, v]) => new Tagged(tag, v)),
  fc.constantFrom('nope', 'a0', 'x').map((n) => new Alias(n)),
  nastyValue.map((v) => new Anchored('x', v)),
  aliasBombs,
);
