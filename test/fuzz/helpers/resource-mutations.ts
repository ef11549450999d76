// Mutations of the reference resource documents (examples/mesh.yaml, protocols.yaml): a value swapped
// for a bad one, a field removed or added, an object turned into a list, a list or string blown up,
// the kind or the name made wrong. Each mutation picks its place by index, so it shrinks well.
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { readExample } from '../../support/examples.js';
import { toJsonText } from './document-text.js';
import { longLength, nastyValue, unicodeString, yamlValue } from './nasty-values.js';

export type Doc = Record<string, unknown>;

/** The reference documents, in order: every one applies unchanged (mesh.yaml, then protocols.yaml). */
export const EXAMPLE_DOCS: readonly Doc[] = (['mesh.yaml', 'protocols.yaml'] as const).flatMap((name) =>
  parseAllDocuments(readExample(name)).map((d) => d.toJS() as Doc),
);

export type Mutation =
  | { readonly op: 'set'; readonly at: number; readonly value: unknown }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'addKey'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: 'wrap'; readonly at: number }
  | { readonly op: 'flip'; readonly at: number }
  | { readonly op: 'repeat'; readonly at: number; readonly times: number }
  | { readonly op: 'long'; readonly at: number; readonly length: number }
  | { readonly op: 'kind'; readonly value: unknown }
  | { readonly op: 'name'; readonly value: unknown };

const FIELD_NAMES = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'kind', 'name', 'revision', 'Name', 'KIND', 'port ',
  '@type', 'hosts', 'match', 'forward', 'redirect', 'respond', 'path_prefix', 'pathPrefix', 'pathRegex', 'cluster', 'weighted', 'tls',
  'endpoints', 'healthCheck', 'health_check', 'http', 'tcp', 'notAfter', 'privateKey', 'caBundle', 'listeners', 'filters', 'retry',
];

const KIND_VALUES: readonly unknown[] = ['Route', 'Cluster', 'Listener', 'Endpoints', 'Certificate', 'route', 'routes', 'CLUSTERS', 'endpoint', 'Gadget', '', ' Route', 5, null, true, ['Route'], { kind: 'Route' }];

const BAD_NAMES: readonly unknown[] = [
  '', ' ', 'Web', 'web_1', '-web', 'web-', '.web', 'web..x', 'a'.repeat(254), 'a'.repeat(10_000), 'wéb', 'web/x', 'web%2Fx', '..', '*', 'web\n', 'w\u0000b', '\ud800',
  '[redacted]', 5, 0, null, true, [], {}, ['web'],
];

const at = fc.nat();

export function mutation(yaml: boolean): fc.Arbitrary<Mutation> {
  const value = yaml ? fc.oneof({ weight: 4, arbitrary: nastyValue }, { weight: 1, arbitrary: yamlValue }) : nastyValue;
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constant('set' as const), at, value }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('addKey' as const), at, key: fc.oneof(fc.constantFrom(...FIELD_NAMES), unicodeString), value }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('wrap' as const), at }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('flip' as const), at }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at, times: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(2, 3, 130) }, { weight: 1, arbitrary: fc.constantFrom(5000, 100_000) }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('long' as const), at, length: longLength }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('kind' as const), value: fc.constantFrom(...KIND_VALUES) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('name' as const),
        value: fc.oneof(fc.constantFrom(...BAD_NAMES), unicodeString, fc.integer({ min: 0, max: 50 }).map((n) => `fuzz-${n}`)),
      }),
    },
  );
}

type Path = ReadonlyArray<string | number>;

/** What a repeat may grow a value to, in JSON characters. */
const MAX_REPEATED_CHARS = 5_000_000;

/** A plain object (not a marker such as Raw or Entries, which mutations leave whole). */
function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Every place in `doc` (not the root), parents before children. */
function placesOf(doc: unknown): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: Path): void => {
    if (Array.isArray(v)) v.forEach((item, i) => (out.push([...path, i]), walk(item, [...path, i])));
    else if (isPlain(v)) for (const [k, item] of Object.entries(v)) (out.push([...path, k]), walk(item, [...path, k]));
  };
  walk(doc, []);
  return out;
}

function getAt(doc: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], doc);
}

/** Sets an own property (also for `__proto__`, which plain assignment would take as the prototype). */
function setOwn(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A deep copy of generated data: lists and plain objects are copied (generated values share
 * constants, which a later mutation must not change), markers such as Raw are immutable and shared.
 */
function copy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copy) as T;
  if (!isPlain(v)) return v;
  const out = {};
  for (const [k, item] of Object.entries(v)) setOwn(out, k, copy(item));
  return out as T;
}

/** `doc` with `m` applied; the root may be replaced (a list, a scalar). */
export function applyMutation(doc: unknown, m: Mutation): unknown {
  if (m.op === 'kind' || m.op === 'name') {
    if (!isPlain(doc)) return doc;
    setOwn(doc, m.op, copy(m.value));
    return doc;
  }
  const places = placesOf(doc);
  const path: Path = places.length === 0 ? [] : places[m.at % places.length]!;
  const replace = (value: unknown): unknown => {
    if (path.length === 0) return value;
    setOwn(getAt(doc, path.slice(0, -1)) as object, path[path.length - 1]!, value);
    return doc;
  };
  const current = path.length === 0 ? doc : getAt(doc, path);
  switch (m.op) {
    case 'set':
      return replace(copy(m.value));
    case 'delete': {
      if (path.length === 0) return {};
      const parent = getAt(doc, path.slice(0, -1));
      if (Array.isArray(parent)) parent.splice(path[path.length - 1] as number, 1);
      else delete (parent as Record<string, unknown>)[path[path.length - 1] as string];
      return doc;
    }
    case 'addKey': {
      const target = isPlain(current) ? current : path.length === 0 ? doc : getAt(doc, path.slice(0, -1));
      if (isPlain(target) || Array.isArray(target)) setOwn(target, Array.isArray(target) ? target.length : m.key, copy(m.value));
      return doc;
    }
    case 'wrap':
      return replace([current]);
    case 'flip':
      // An object where a list is expected and the other way round.
      if (Array.isArray(current)) return replace(Object.fromEntries(current.map((v, i) => [String(i), v])));
      if (isPlain(current)) return replace(Object.entries(current).map(([k, v]) => ({ [k]: v })));
      return replace({ value: current });
    case 'repeat': {
      // Up to a little past the API's 4 MiB body limit: more only costs time (413 from Content-Length).
      const times = Math.max(2, Math.min(m.times, Math.floor(MAX_REPEATED_CHARS / Math.max(1, toJsonText(current).length))));
      // Copies, not shared references: a later mutation of one item must not change them all.
      if (Array.isArray(current) && current.length > 0) return replace(Array.from({ length: times * current.length }, (_, i) => copy(current[i % current.length])));
      if (typeof current === 'string') return replace(current.repeat(times));
      return replace(Array.from({ length: times }, () => copy(current)));
    }
    case 'long': {
      // The place's own text repeated (a PEM header over and over), as long as the generated string.
      const text = typeof current === 'string' && current !== '' ? current : 'x';
      const piece = text.slice(0, 1 + (m.at % text.length));
      return replace(piece.repeat(Math.ceil(m.length / piece.length)).slice(0, m.length));
    }
  }
}

export interface DocChoice {
  readonly index: number;
  readonly mutations: readonly Mutation[];
}

export function docChoice(yaml: boolean): fc.Arbitrary<DocChoice> {
  return fc.record({ index: fc.nat(), mutations: fc.array(mutation(yaml), { maxLength: 3 }) });
}

/** The chosen reference document, copied, with its mutations applied. */
export function buildDoc(choice: DocChoice): unknown {
  let doc: unknown = copy(EXAMPLE_DOCS[choice.index % EXAMPLE_DOCS.length]!);
  for (const m of choice.mutations) doc = applyMutation(doc, m);
  return doc;
}
